/**
 * Shared pieces of the fuzz suites: run counts (scaled by FUZZ_RUNS for longer local runs, with
 * FUZZ_SEED to explore other inputs), text mutations of known-good inputs, and the regression
 * fixtures (every input that ever broke something, replayed by a plain test).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * fast-check parameters for one property: a fixed seed (so CI runs the same inputs every time)
 * and `baseRuns` inputs, times FUZZ_RUNS. FUZZ_SEED replaces every seed, to look elsewhere.
 */
export function fuzzParams(seed: number, baseRuns: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  const scale = envNumber('FUZZ_RUNS') ?? 1;
  return { seed: envNumber('FUZZ_SEED') ?? seed, numRuns: Math.max(1, Math.round(baseRuns * scale)), endOnFailure: false };
}

/** Vitest timeout for a property whose base run count takes about `baseMs` on a busy machine. */
export function fuzzTimeout(baseMs: number): number {
  return Math.max(20_000, baseMs * (envNumber('FUZZ_RUNS') ?? 1));
}

/** Values that tend to break parsers: boundaries, signs, encodings, separators. */
export const nastyToken: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1.5',
    '65535',
    '65536',
    '4294967296',
    '99999999999999999999',
    '1e3',
    '0x10',
    'NaN',
    'Infinity',
    'undefined',
    'null',
    '__proto__',
    'constructor',
    'toString',
    '\u0000',
    '\r',
    '\n',
    '\t',
    '%00',
    '\u00e9',
    '\ud83d\ude00',
    '\ud800',
    '::1',
    '0.0.0.0',
    '255.255.255.255',
    '999.1.1.1',
    '<',
    '>',
    '&',
    '"',
    "'",
    ';',
    ',',
    '=',
    ':',
    '/',
  ),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }).map(String),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

type LineMutation =
  | { kind: 'drop'; at: number }
  | { kind: 'duplicate'; at: number; to: number }
  | { kind: 'insert'; at: number; line: string }
  | { kind: 'token'; at: number; token: number; value: string }
  | { kind: 'truncate'; at: number; keep: number }
  | { kind: 'swap'; at: number; to: number };

const lineMutation: fc.Arbitrary<LineMutation> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), line: fc.oneof(nastyToken, fc.string({ maxLength: 40 })) }),
  fc.record({ kind: fc.constant('token' as const), at: fc.nat(), token: fc.nat(), value: nastyToken }),
  fc.record({ kind: fc.constant('token' as const), at: fc.nat(), token: fc.nat(), value: nastyToken }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), keep: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
);

/** Splits a line into tokens and the separators between them (separators are kept). */
function tokens(line: string): string[] {
  return line.split(/([ :=/;,])/);
}

function applyLineMutation(lines: string[], m: LineMutation): void {
  if (lines.length === 0) {
    if (m.kind === 'insert') lines.push(m.line);
    return;
  }
  const at = m.at % lines.length;
  switch (m.kind) {
    case 'drop':
      lines.splice(at, 1);
      return;
    case 'duplicate':
      lines.splice(m.to % (lines.length + 1), 0, lines[at]!);
      return;
    case 'insert':
      lines.splice(m.at % (lines.length + 1), 0, m.line);
      return;
    case 'token': {
      const parts = tokens(lines[at]!);
      // Even indexes are tokens, odd ones separators.
      const words = Math.ceil(parts.length / 2);
      parts[(m.token % words) * 2] = m.value;
      lines[at] = parts.join('');
      return;
    }
    case 'truncate':
      lines[at] = lines[at]!.slice(0, m.keep);
      return;
    case 'swap': {
      const to = m.to % lines.length;
      [lines[at], lines[to]] = [lines[to]!, lines[at]!];
      return;
    }
  }
}

/**
 * Line-oriented text (SDP, SIP INFO bodies, config files) with a few lines dropped, duplicated,
 * swapped, truncated or with one token replaced by a nasty value, and one of the usual line endings.
 */
export function mutatedLines(seeds: readonly string[], maxMutations = 5): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(lineMutation, { minLength: 1, maxLength: maxMutations }),
      fc.constantFrom('\r\n', '\n', '\r\n', '\r'),
      fc.boolean(),
    )
    .map(([seed, mutations, eol, trailing]) => {
      const lines = seed.split(/\r?\n/);
      if (lines.at(-1) === '') lines.pop();
      for (const m of mutations) applyLineMutation(lines, m);
      return lines.join(eol) + (trailing ? eol : '');
    });
}

/** Regression inputs under test/fixtures/fuzz/<area>/ (file name → contents). */
export function regressionFixtures(area: string): Array<{ name: string; text: string }> {
  const dir = path.join(repoRoot, 'test/fixtures/fuzz', area);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && !f.endsWith('.md'))
    .sort()
    .map((name) => ({ name, text: readFileSync(path.join(dir, name), 'utf8') }));
}

/** Binary regression inputs are kept as hex text (whitespace and # comments ignored). */
export function hexFixture(text: string): Buffer {
  return Buffer.from(
    text
      .split('\n')
      .map((l) => l.replace(/#.*/, ''))
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );
}

/** Fails with the input attached when `fn` throws anything not accepted by `typed`. */
export function expectTypedOutcome<T>(what: string, input: unknown, fn: () => T, typed: (err: unknown) => boolean): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (typed(err)) return undefined;
    throw new Error(`${what} threw an untyped error for ${JSON.stringify(input)}: ${String(err)}`, { cause: err });
  }
}
