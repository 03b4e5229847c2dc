import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Rendered {
  json: string;
  /** Markdown with `{{svg}}` where the chart's file name goes (it differs in history/). */
  md: string;
  svg: string;
}

/** `2026-11-23T15-04-05Z`: ISO 8601 with the colons that some file systems refuse replaced. */
export function stamp(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
}

/** latest.{json,md,svg} plus dated copies in history/, so regressions show against earlier runs. */
export function writeResults(outDir: string, at: Date, r: Rendered): string[] {
  const history = path.join(outDir, 'history');
  mkdirSync(history, { recursive: true });
  const name = stamp(at);
  const files: Array<[string, string]> = [
    [path.join(outDir, 'latest.json'), r.json],
    [path.join(outDir, 'latest.md'), r.md.replace('{{svg}}', 'latest.svg')],
    [path.join(outDir, 'latest.svg'), r.svg],
    [path.join(history, `${name}.json`), r.json],
    [path.join(history, `${name}.md`), r.md.replace('{{svg}}', `${name}.svg`)],
    [path.join(history, `${name}.svg`), r.svg],
  ];
  for (const [file, text] of files) writeFileSync(file, text);
  return files.map(([file]) => file);
}
