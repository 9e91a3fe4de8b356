import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIELDS } from '../../../src/config/fields.js';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../README.md'), 'utf8');

describe('README configuration table', () => {
  it('documents every setting with its default', () => {
    for (const f of FIELDS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${f.name}\` |`));
      expect(row, `${f.name} missing from README`).toBeDefined();
      if (f.default !== undefined && f.default !== '') expect(row).toContain(`\`${f.default}\``);
    }
  });
});
