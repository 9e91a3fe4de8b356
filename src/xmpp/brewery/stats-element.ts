/**
 * The load report a gateway instance publishes in its brewery presence; Jicofo reads it to pick
 * the instance for a dial-out (fewest participants among those not shutting down, matching region).
 */
import { xml, type Element } from '../connection.js';

export const NS_COLIBRI = 'http://jitsi.org/protocol/colibri';

export interface BreweryStats {
  /** rooms our calls are in */
  conferences: number;
  /** people in the rooms our calls are in (callers included, the focus not), each counted once */
  participants: number;
  /** true while draining: Jicofo sends no new dial-outs */
  gracefulShutdown: boolean;
  /** calls / MAX_CALLS */
  stressLevel: number;
  /** published only when set (JIGASI_LOCAL_REGION) */
  region?: string | undefined;
  version: string;
  /** default true: this gateway places SIP calls */
  supportsSip?: boolean;
  /** default false: no transcriber */
  supportsTranscription?: boolean;
}

function count(n: number): string {
  return Number.isFinite(n) && n > 0 ? String(Math.floor(n)) : '0';
}

// Enough precision for load balancing without printing 0.30000000000000004.
function ratio(n: number): string {
  return Number.isFinite(n) && n > 0 ? String(Math.round(n * 10_000) / 10_000) : '0';
}

/** `<stats xmlns=colibri>` with one `<stat name value/>` per field, in jigasi's order. */
export function buildStatsElement(stats: BreweryStats): Element {
  const entries: Array<[string, string]> = [
    ['conferences', count(stats.conferences)],
    ['participants', count(stats.participants)],
    ['graceful_shutdown', String(stats.gracefulShutdown)],
    ['stress_level', ratio(stats.stressLevel)],
  ];
  if (stats.region !== undefined && stats.region !== '') entries.push(['region', stats.region]);
  entries.push(
    ['version', stats.version],
    ['supports_transcription', String(stats.supportsTranscription ?? false)],
    ['supports_sip', String(stats.supportsSip ?? true)],
  );
  return xml(
    'stats',
    { xmlns: NS_COLIBRI },
    ...entries.map(([name, value]) => xml('stat', { name, value })),
  );
}

/** Reads a `<stats>` element back into name → value (for observers and tests). */
export function readStatsElement(stats: Element): Record<string, string> {
  const out: Record<string, string> = {};
  for (const stat of stats.getChildren('stat')) {
    const name: unknown = stat.attrs['name'];
    const value: unknown = stat.attrs['value'];
    if (typeof name === 'string' && typeof value === 'string') out[name] = value;
  }
  return out;
}
