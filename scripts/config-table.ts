// Prints the README's configuration table from src/config/fields.ts: `npx tsx scripts/config-table.ts`;
// with --write it replaces the table in README.md in place.
import { readFileSync, writeFileSync } from 'node:fs';
import { FIELDS } from '../src/config/fields.js';

const rows = FIELDS.map((f) => {
  const def = f.default === undefined ? '—' : f.default === '' ? '(empty)' : `\`${f.default}\``;
  const desc = f.secret === true ? `${f.description} (secret)` : f.description;
  return `| \`${f.name}\` | ${def} | ${desc} |`;
});
const table = ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');

if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('| Variable | Default | Meaning |');
  if (start < 0) throw new Error('README.md has no configuration table');
  let end = readme.indexOf('\n\n', start);
  if (end < 0) end = readme.length;
  writeFileSync('README.md', readme.slice(0, start) + table + readme.slice(end));
} else {
  process.stdout.write(`${table}\n`);
}
