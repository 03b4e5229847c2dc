import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../scripts/lib/config';

/**
 * The vars `wrangler dev` gives the Worker: wrangler.toml [vars], overridden by .dev.vars.
 * Node-side baselines read them so they use the Worker's count limit and cursor secret.
 */
export function wranglerVars(): Record<string, string> {
  const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
  const section = /^\[vars\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? '';
  const vars: Record<string, string> = {};
  for (const m of section.matchAll(/^\s*([A-Z0-9_]+)\s*=\s*"([^"]*)"/gm)) vars[m[1]] = m[2];
  const devVars = path.join(ROOT, '.dev.vars');
  if (existsSync(devVars)) {
    for (const m of readFileSync(devVars, 'utf8').matchAll(/^\s*([A-Za-z0-9_]+)\s*=\s*"?([^"\n]*)"?\s*$/gm)) vars[m[1]] = m[2];
  }
  return vars;
}
