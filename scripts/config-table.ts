// Prints the README's configuration table from src/config/fields.ts: `npx tsx scripts/config-table.ts`.
import { FIELDS } from '../src/config/fields.js';

const rows = FIELDS.map((f) => {
  const def = f.default === undefined ? '—' : f.default === '' ? '(empty)' : `\`${f.default}\``;
  const desc = f.secret === true ? `${f.description} (secret)` : f.description;
  return `| \`${f.name}\` | ${def} | ${desc} |`;
});
process.stdout.write(['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n') + '\n');
