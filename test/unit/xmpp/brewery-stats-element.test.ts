import { describe, expect, it } from 'vitest';
import { buildStatsElement, readStatsElement, type BreweryStats } from '../../../src/xmpp/brewery/stats-element.js';

const base: BreweryStats = { conferences: 2, participants: 7, gracefulShutdown: false, stressLevel: 0.02, version: '1.1-abc' };

describe('brewery stats element', () => {
  it('serializes the contract stats in jigasi order', () => {
    expect(buildStatsElement(base).toString()).toBe(
      '<stats xmlns="http://jitsi.org/protocol/colibri">' +
        '<stat name="conferences" value="2"/>' +
        '<stat name="participants" value="7"/>' +
        '<stat name="graceful_shutdown" value="false"/>' +
        '<stat name="stress_level" value="0.02"/>' +
        '<stat name="version" value="1.1-abc"/>' +
        '<stat name="supports_transcription" value="false"/>' +
        '<stat name="supports_sip" value="true"/>' +
        '</stats>',
    );
  });

  it('includes the region after stress_level only when one is set', () => {
    const names = (s: BreweryStats): string[] => buildStatsElement(s).getChildren('stat').map((c) => String(c.attrs['name']));
    expect(names({ ...base, region: 'us-east-1' })).toEqual([
      'conferences', 'participants', 'graceful_shutdown', 'stress_level', 'region', 'version', 'supports_transcription', 'supports_sip',
    ]);
    expect(names({ ...base, region: '' })).not.toContain('region');
    expect(readStatsElement(buildStatsElement({ ...base, region: 'us-east-1' })).region).toBe('us-east-1');
  });

  it('flags a draining instance', () => {
    expect(readStatsElement(buildStatsElement({ ...base, gracefulShutdown: true })).graceful_shutdown).toBe('true');
  });

  it('rounds the stress level and never prints NaN or negatives', () => {
    const read = (s: Partial<BreweryStats>): Record<string, string> => readStatsElement(buildStatsElement({ ...base, ...s }));
    expect(read({ stressLevel: 1 / 3 }).stress_level).toBe('0.3333');
    expect(read({ stressLevel: 0.1 + 0.2 }).stress_level).toBe('0.3');
    expect(read({ stressLevel: Number.NaN }).stress_level).toBe('0');
    expect(read({ conferences: -1, participants: Number.POSITIVE_INFINITY })).toMatchObject({ conferences: '0', participants: '0' });
  });

  it('lets the capability flags be overridden', () => {
    const stats = readStatsElement(buildStatsElement({ ...base, supportsSip: false, supportsTranscription: true }));
    expect(stats).toMatchObject({ supports_sip: 'false', supports_transcription: 'true' });
  });

  it('escapes attribute values', () => {
    expect(buildStatsElement({ ...base, version: 'a"<b>' }).toString()).toContain('value="a&quot;&lt;b&gt;"');
  });
});
