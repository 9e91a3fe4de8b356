import { FIELDS } from './fields.js';
import type { GatewayConfig } from './types.js';

const DEFAULTS = new Map(FIELDS.map((f) => [f.name, f.default]));

/** 127.0.0.0/8, ::1 and localhost: a shared secret that never leaves the host. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Settings that work but are unsafe, logged as warnings at startup. The well-known default
 * secrets of drachtio-server ('cymru') and FreeSWITCH's event socket ('ClueCon') are harmless on
 * loopback and an open door anywhere else: whoever reaches the port controls calls.
 */
export function configWarnings(c: GatewayConfig): string[] {
  const out: string[] = [];
  if (c.drachtio.secret === DEFAULTS.get('DRACHTIO_SECRET') && !isLoopbackHost(c.drachtio.host)) {
    out.push(`DRACHTIO_SECRET is drachtio-server's well-known default while DRACHTIO_HOST (${c.drachtio.host}) is not on loopback: set a secret of your own on both sides`);
  }
  if (c.media.mode === 'freeswitch' && c.freeswitch.secret === DEFAULTS.get('FREESWITCH_SECRET') && !isLoopbackHost(c.freeswitch.host)) {
    out.push(`FREESWITCH_SECRET is FreeSWITCH's well-known event socket default while FREESWITCH_HOST (${c.freeswitch.host}) is not on loopback: set a password of your own on both sides`);
  }
  return out;
}
