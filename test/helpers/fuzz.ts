import fc from 'fast-check';
import { afterAll, expect } from 'vitest';

/**
 * How many generated inputs each fuzz property gets. Cheap properties (pure functions) run
 * `REFSYNC_FUZZ_RUNS` cases (10,000 by default); properties that go through the HTTP server
 * and the database run `REFSYNC_FUZZ_ROUTE_RUNS` (1,000 by default, so CI stays quick;
 * `npm run fuzz` sets both to 10,000). `REFSYNC_FUZZ_SEED` replays a failing run.
 */
function runsFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

export const fuzzRuns = {
  cheap: runsFrom('REFSYNC_FUZZ_RUNS', 10_000),
  route: runsFrom('REFSYNC_FUZZ_ROUTE_RUNS', 1_000),
};

/** A test timeout that grows with the number of cases (`perCaseMs` each, on a loaded machine). */
export function fuzzTimeout(runs: number, perCaseMs: number): number {
  return Math.max(60_000, runs * perCaseMs);
}

const seed = process.env.REFSYNC_FUZZ_SEED ? Number(process.env.REFSYNC_FUZZ_SEED) : undefined;
const counts = new Map<string, number>();

/** Counts every case a property really ran, for the summary printed after the file. */
export function counted<T>(name: string, check: (value: T) => unknown): (value: T) => unknown {
  return (value: T) => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return check(value);
  };
}

/** Fails unless every property of the file ran at least `runs` cases (and there were some). */
export function expectEachRan(runs: number): void {
  expect(counts.size).toBeGreaterThan(0);
  for (const [name, count] of counts) expect(count, name).toBeGreaterThanOrEqual(runs);
}

/** Asserts a synchronous property over `runs` cases, counted under `name`. */
export function fuzz<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => unknown,
  runs: number,
) {
  fc.assert(fc.property(arbitrary, counted(name, check) as (value: T) => boolean | undefined), {
    numRuns: runs,
    ...(seed === undefined ? {} : { seed }),
  });
}

/** The asynchronous twin of `fuzz` (HTTP routes). */
export async function fuzzAsync<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Promise<unknown>,
  runs: number,
) {
  await fc.assert(
    fc.asyncProperty(arbitrary, counted(name, check) as (value: T) => Promise<boolean | undefined>),
    { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
  );
}

/** Prints how many cases each property of the file ran (`fuzz cases: ...`). */
export function printFuzzCounts(file: string): void {
  afterAll(() => {
    const lines = [...counts].map(([name, count]) => `  ${String(count).padStart(7)}  ${name}`);
    const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
    process.stdout.write(`fuzz cases (${file}), ${total} in all:\n${lines.join('\n')}\n`);
  });
}

/**
 * Random edits of a valid input: characters inserted, deleted or replaced, slices repeated
 * or cut, and hostile fragments spliced in. What a broken or malicious sender produces.
 */
export function mutated(valid: string, fragments: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
    fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 16 }),
    }),
    fc.record({
      kind: fc.constant('replace' as const),
      at: fc.nat(),
      text: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
    }),
    fc.record({
      kind: fc.constant('repeat' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 64 }),
    }),
    fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), text: fc.constantFrom(...fragments) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let text = valid;
    for (const step of edits) {
      const at = text.length === 0 ? 0 : step.at % (text.length + 1);
      switch (step.kind) {
        case 'insert':
        case 'splice':
          text = text.slice(0, at) + step.text + text.slice(at);
          break;
        case 'replace':
          text = text.slice(0, at) + step.text + text.slice(at + step.text.length);
          break;
        case 'delete':
          text = text.slice(0, at) + text.slice(at + step.length);
          break;
        case 'repeat':
          text =
            text.slice(0, at + step.length) + text.slice(at, at + step.length) + text.slice(at + step.length);
          break;
        case 'truncate':
          text = text.slice(0, at);
          break;
      }
    }
    return text;
  });
}
