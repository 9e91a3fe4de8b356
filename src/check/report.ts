import type { CheckResult } from './check.js';

/** Exit status of `--check`: 0 when nothing is wrong (skips are fine), 1 when something is. */
export function exitCodeOf(results: readonly CheckResult[]): number {
  return results.some((r) => r.status === 'problem') ? 1 : 0;
}

/** One line per check, aligned: `status  name  detail[ — fix: …]`, then a summary line. */
export function formatReport(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 4);
  const lines = results.map((r) => {
    const fix = r.status === 'problem' && r.fix !== undefined ? ` — fix: ${r.fix}` : '';
    return `${r.status.padEnd(9)}${r.name.padEnd(width + 2)}${oneLine(r.detail)}${oneLine(fix)}`;
  });
  const problems = results.filter((r) => r.status === 'problem').length;
  const skippedCount = results.filter((r) => r.status === 'skipped').length;
  lines.push(
    problems === 0
      ? `all ${results.length - skippedCount} checks ok${skippedCount > 0 ? `, ${skippedCount} skipped` : ''}`
      : `${problems} problem${problems === 1 ? '' : 's'}: the gateway will not work as configured until ${problems === 1 ? 'it is' : 'they are'} fixed`,
  );
  return `${lines.join('\n')}\n`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}
