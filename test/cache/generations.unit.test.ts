import { describe, expect, it } from 'vitest';
import { createGenerationClock, type GenerationAnswer, generationFor, type OrgGenerations } from '../../src/cache/generations';

// The isolate's copies of org generations under a controlled clock: the staleness bound counts
// from when Postgres had the generations (the object's answer carries its age), a client's
// X-Min-Generation forces a fresh answer, and a late answer never replaces a newer copy.
const gens = (generation: number, changed: Record<string, number> = {}): OrgGenerations => ({ generation, sharingVersion: 0, changed });

function harness(maxAgeMs = 2000) {
  let now = 1_000;
  const asked: Array<{ orgId: string; min: number }> = [];
  let answer: GenerationAnswer = { generations: gens(1), ageMs: 0 };
  const clock = createGenerationClock({
    maxAgeMs,
    clock: { now: () => now },
    fetch: async (orgId, min) => {
      asked.push({ orgId, min });
      return answer;
    },
  });
  return {
    clock,
    asked,
    advance(ms: number) {
      now += ms;
    },
    answer(a: GenerationAnswer) {
      answer = a;
    },
  };
}

describe('the generation clock', () => {
  it('answers from the isolate while the copy is younger than the bound, then asks again', async () => {
    const h = harness();
    expect(await h.clock.read('o1')).toMatchObject({ source: 'durable-object', ageMs: 0, generations: { generation: 1 } });
    h.advance(1999);
    expect(await h.clock.read('o1')).toMatchObject({ source: 'memory', ageMs: 1999 });
    h.answer({ generations: gens(2), ageMs: 0 });
    h.advance(1);
    expect(await h.clock.read('o1')).toMatchObject({ source: 'durable-object', generations: { generation: 2 } });
    expect(h.asked).toEqual([
      { orgId: 'o1', min: 0 },
      { orgId: 'o1', min: 0 },
    ]);
  });

  it("counts a copy's age from when Postgres had it, so object and isolate together stay within the bound", async () => {
    const h = harness();
    h.answer({ generations: gens(5), ageMs: 1500 });
    expect(await h.clock.read('o1')).toMatchObject({ source: 'durable-object', ageMs: 1500 });
    h.advance(499);
    expect((await h.clock.read('o1')).source).toBe('memory');
    h.advance(1);
    expect((await h.clock.read('o1')).source).toBe('durable-object');
  });

  it('a minimum generation newer than the copy asks the object at once, with that minimum', async () => {
    const h = harness();
    await h.clock.read('o1');
    h.answer({ generations: gens(7), ageMs: 0 });
    expect(await h.clock.read('o1', { minGeneration: 7 })).toMatchObject({ source: 'durable-object', generations: { generation: 7 } });
    expect(h.asked.at(-1)).toEqual({ orgId: 'o1', min: 7 });
    // Met by the copy now.
    expect((await h.clock.read('o1', { minGeneration: 6 })).source).toBe('memory');
  });

  it('an older answer arriving late never replaces a newer copy', async () => {
    const h = harness();
    h.answer({ generations: gens(9), ageMs: 0 });
    await h.clock.read('o1');
    h.advance(2500);
    h.answer({ generations: gens(8), ageMs: 0 });
    expect((await h.clock.read('o1')).generations.generation).toBe(8);
    // The copy kept is generation 9's, now expired: the next read asks again.
    expect((await h.clock.read('o1')).source).toBe('durable-object');
  });

  it('keeps orgs apart', async () => {
    const h = harness();
    h.answer({ generations: gens(3), ageMs: 0 });
    await h.clock.read('o1');
    h.answer({ generations: gens(4), ageMs: 0 });
    expect((await h.clock.read('o2')).generations.generation).toBe(4);
    expect((await h.clock.read('o1')).generations.generation).toBe(3);
  });

  it('a floor (a write through this isolate) acts as every reader’s minimum', async () => {
    let floor = 0;
    const asked: number[] = [];
    let generation = 4;
    const clock = createGenerationClock({
      maxAgeMs: 2000,
      clock: { now: () => 1_000 },
      floor: () => floor,
      fetch: async (_orgId, min) => {
        asked.push(min);
        return { generations: gens(generation), ageMs: 0 };
      },
    });
    await clock.read('o1');
    expect((await clock.read('o1')).source).toBe('memory');
    floor = 5;
    generation = 5;
    expect(await clock.read('o1')).toMatchObject({ source: 'durable-object', generations: { generation: 5 } });
    expect(asked).toEqual([0, 5]);
    expect((await clock.read('o1')).source).toBe('memory');
  });

  it('with a bound of 0 every read asks the object', async () => {
    const h = harness(0);
    await h.clock.read('o1');
    await h.clock.read('o1');
    expect(h.asked.length).toBe(2);
  });
});

describe('generationFor', () => {
  it('is the latest change to any resource the answer reads; a resource never changed counts 0', () => {
    const g = gens(12, { contacts: 4, companies: 9, deals: 12 });
    expect(generationFor(g, ['contacts'])).toBe(4);
    expect(generationFor(g, ['contacts', 'companies'])).toBe(9);
    expect(generationFor(g, ['tags'])).toBe(0);
    expect(generationFor(g, [])).toBe(0);
    // Own properties only: a resource named like an Object method is not one.
    expect(generationFor(g, ['constructor', 'toString'])).toBe(0);
  });
});
