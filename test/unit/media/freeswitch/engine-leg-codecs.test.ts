import { describe, expect, it } from 'vitest';
import { engineLegCodecs, phoneCodecOf } from '../../../../src/media/freeswitch/engine-leg-codecs.js';
import { fsSdp } from '../../../support/fs-fakes.js';

const dtmf = ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'];

const SDPS = {
  pcmu: fsSdp('0 101', ['a=rtpmap:0 PCMU/8000', ...dtmf]),
  pcma: fsSdp('8 101', ['a=rtpmap:8 PCMA/8000', ...dtmf]),
  g722: fsSdp('9 101', ['a=rtpmap:9 G722/8000', ...dtmf]),
  opus: fsSdp('102 101', ['a=rtpmap:102 opus/48000/2', 'a=fmtp:102 useinbandfec=1; maxplaybackrate=48000', ...dtmf]),
  g729: fsSdp('18 101', ['a=fmtp:18 annexb=no', ...dtmf]),
  amrWb: fsSdp('96 101', ['a=rtpmap:96 AMR-WB/16000', 'a=fmtp:96 octet-align=1', ...dtmf]),
};

describe('phoneCodecOf', () => {
  it('reads the first payload type of the audio stream', () => {
    expect(phoneCodecOf(SDPS.pcmu)).toEqual({ name: 'PCMU', rate: 8000 });
    expect(phoneCodecOf(SDPS.opus)).toEqual({ name: 'OPUS', rate: 48000 });
    expect(phoneCodecOf(SDPS.amrWb)).toEqual({ name: 'AMR-WB', rate: 16000 });
  });

  it('knows static payload types without an rtpmap', () => {
    expect(phoneCodecOf(SDPS.g729)).toEqual({ name: 'G729', rate: 8000 });
    expect(phoneCodecOf(fsSdp('8', []))).toEqual({ name: 'PCMA', rate: 8000 });
  });

  it('returns undefined for no usable audio stream', () => {
    expect(phoneCodecOf('garbage')).toBeUndefined();
    expect(phoneCodecOf(SDPS.pcmu.replace('m=audio 16384', 'm=audio 0'))).toBeUndefined();
  });
});

describe('engineLegCodecs', () => {
  it.each([
    ['PCMU', SDPS.pcmu, ['PCMU']],
    ['PCMA', SDPS.pcma, ['PCMA', 'PCMU']],
    ['G722', SDPS.g722, ['G722', 'PCMU']],
    ['opus/48000/2', SDPS.opus, ['L16-16k', 'G722', 'PCMU']],
    ['G729 (static, no rtpmap)', SDPS.g729, ['L16', 'PCMU']],
    ['AMR-WB/16000', SDPS.amrWb, ['L16-16k', 'G722', 'PCMU']],
    ['garbage', 'not an sdp at all', ['PCMU']],
  ])('%s → %j', (_name, sdp, expected) => {
    expect(engineLegCodecs(sdp)).toEqual(expected);
  });
});
