import { describe, expect, it } from 'vitest';
import { configWarnings, isLoopbackHost, loadConfig } from '../../../src/config/index.js';

const base = { JIGASI_XMPP_PASSWORD: 'xmpp-secret' };
const warningsFor = (env: Record<string, string>): string[] => configWarnings(loadConfig({ env: { ...base, ...env } }));

describe('startup warnings about default secrets', () => {
  it('says nothing for the defaults on loopback', () => {
    expect(warningsFor({})).toEqual([]);
    expect(warningsFor({ MEDIA_MODE: 'freeswitch' })).toEqual([]);
  });

  it('warns when drachtio-server is elsewhere and still has the well-known secret', () => {
    const w = warningsFor({ DRACHTIO_HOST: 'drachtio' });
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('DRACHTIO_SECRET');
    expect(w[0]).not.toContain('cymru');
    expect(warningsFor({ DRACHTIO_HOST: 'drachtio', DRACHTIO_SECRET: 'long-random-value' })).toEqual([]);
  });

  it('warns about the FreeSWITCH event socket password only in FreeSWITCH mode', () => {
    expect(warningsFor({ FREESWITCH_HOST: '10.0.0.5' })).toEqual([]);
    const w = warningsFor({ MEDIA_MODE: 'freeswitch', FREESWITCH_HOST: '10.0.0.5' });
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('FREESWITCH_SECRET');
    expect(w[0]).not.toContain('ClueCon');
    expect(warningsFor({ MEDIA_MODE: 'freeswitch', FREESWITCH_HOST: '10.0.0.5', FREESWITCH_SECRET: 'other' })).toEqual([]);
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.1', 'drachtio', '0.0.0.0', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
