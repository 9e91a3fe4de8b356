import { describe, expect, it } from 'vitest';
import {
  answerHeaderExtensions,
  answerPayloadTypes,
  findAudioContent,
  HDREXT,
  NegotiationError,
  negotiateAudio,
  parseJingleIq,
  type JingleContent,
  type PayloadType,
} from '../../../../src/xmpp/jingle/index.js';
import { fixture } from './helpers.js';

const pt = (id: number, name: string, clockRate: number, channels = 1, parameters: Record<string, string> = {}): PayloadType => ({
  id,
  name,
  clockRate,
  channels,
  parameters,
  rtcpFbs: [],
});

const audioContent = (over: Partial<JingleContent>): JingleContent => ({
  name: 'audio',
  creator: 'initiator',
  senders: 'both',
  media: 'audio',
  payloadTypes: [],
  headerExtensions: [],
  extmapAllowMixed: false,
  sources: [],
  ssrcGroups: [],
  rtcpMux: true,
  ...over,
});

describe('negotiateAudio', () => {
  it('picks opus and telephone-event with their offered ids from the Jicofo-shaped offer', () => {
    const content = findAudioContent(parseJingleIq(fixture('session-initiate.xml')).contents);
    expect(negotiateAudio(content)).toEqual({
      mid: 'audio',
      opusPt: 111,
      opusParameters: { minptime: '10', useinbandfec: '1' },
      telephoneEventPt: 126,
      audioLevelExtId: 1,
      midExtId: 10,
    });
  });

  it('drops RED, transport-cc and other codecs and keeps non-default ids', () => {
    const content = audioContent({
      payloadTypes: [
        pt(112, 'red', 48000, 2, { '': '96/96' }),
        { ...pt(96, 'OPUS', 48000, 2), rtcpFbs: [{ type: 'transport-cc' }] },
        pt(0, 'PCMU', 8000),
        pt(101, 'telephone-event', 8000),
      ],
      headerExtensions: [
        { id: 5, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' },
        { id: 3, uri: HDREXT.audioLevel },
        { id: 4, uri: HDREXT.mid },
        { id: 2, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
      ],
    });
    const n = negotiateAudio(content);
    expect(n).toMatchObject({ opusPt: 96, telephoneEventPt: 101, audioLevelExtId: 3, midExtId: 4 });
    expect(answerPayloadTypes(n)).toEqual([pt(96, 'opus', 48000, 2), pt(101, 'telephone-event', 8000)]);
    expect(answerHeaderExtensions(n)).toEqual([
      { id: 3, uri: HDREXT.audioLevel },
      { id: 4, uri: HDREXT.mid },
    ]);
  });

  it('answers without telephone-event or extensions when they were not offered', () => {
    const n = negotiateAudio(audioContent({ payloadTypes: [pt(111, 'opus', 48000, 2), pt(127, 'telephone-event', 48000)] }));
    expect(n.telephoneEventPt).toBeUndefined();
    expect(n.audioLevelExtId).toBeUndefined();
    expect(n.midExtId).toBeUndefined();
    expect(answerPayloadTypes(n).map((p) => p.name)).toEqual(['opus']);
    expect(answerHeaderExtensions(n)).toEqual([]);
  });

  it('rejects an offer without opus/48000/2 as incompatible-parameters', () => {
    const offers = [
      [pt(0, 'PCMU', 8000), pt(126, 'telephone-event', 8000)],
      [pt(111, 'opus', 48000, 1)],
      [],
    ];
    for (const payloadTypes of offers) {
      let caught: unknown;
      try {
        negotiateAudio(audioContent({ payloadTypes }));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(NegotiationError);
      const err = caught as NegotiationError;
      expect(err.jingleReason).toBe('incompatible-parameters');
      expect(err.xmppCondition).toBe('not-acceptable');
      expect(err.message).toMatch(/no opus\/48000\/2/);
    }
  });

  it('names what was offered in the error', () => {
    expect(() => negotiateAudio(audioContent({ payloadTypes: [pt(9, 'G722', 8000)] }))).toThrow(/G722\/8000/);
  });

  it('finds the audio content among others and fails without one', () => {
    const video = audioContent({ name: 'video', media: 'video', payloadTypes: [pt(100, 'VP8', 90000)] });
    const audio = audioContent({ payloadTypes: [pt(111, 'opus', 48000, 2)] });
    expect(findAudioContent([video, audio])).toBe(audio);
    try {
      findAudioContent([video]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NegotiationError);
      expect((err as NegotiationError).jingleReason).toBe('failed-application');
    }
  });
});
