import type { NegotiatedAudio } from '../../media/media-vocabulary.js';
import { NegotiationError } from './errors.js';
import { HDREXT } from './namespaces.js';
import type { HeaderExtension, JingleContent, PayloadType } from './types.js';

export type { NegotiatedAudio };

const isAudio = (c: JingleContent): boolean => c.media === 'audio' || (c.media === undefined && c.name === 'audio');

/** The offer's audio content; NegotiationError when there is none. */
export function findAudioContent(contents: readonly JingleContent[]): JingleContent {
  const audio = contents.find(isAudio);
  if (!audio) throw new NegotiationError('offer has no audio content', 'failed-application');
  return audio;
}

const sameName = (pt: PayloadType, name: string): boolean => pt.name.toLowerCase() === name;

/**
 * Picks opus/48000/2 (required), telephone-event/8000 and only the header extensions the media
 * engine implements. Anything else offered (RED, transport-cc, …) is dropped by not answering it.
 */
export function negotiateAudio(content: JingleContent): NegotiatedAudio {
  const opus = content.payloadTypes.find((pt) => sameName(pt, 'opus') && pt.clockRate === 48000 && pt.channels === 2);
  if (!opus) {
    const offered = content.payloadTypes.map((pt) => `${pt.name}/${pt.clockRate}`).join(', ') || 'nothing';
    throw new NegotiationError(`offer has no opus/48000/2 (offered: ${offered})`);
  }
  const result: NegotiatedAudio = { mid: content.name, opusPt: opus.id, opusParameters: { ...opus.parameters } };

  const te = content.payloadTypes.find((pt) => sameName(pt, 'telephone-event') && pt.clockRate === 8000);
  if (te) result.telephoneEventPt = te.id;

  const audioLevel = content.headerExtensions.find((e) => e.uri === HDREXT.audioLevel);
  if (audioLevel) result.audioLevelExtId = audioLevel.id;
  const mid = content.headerExtensions.find((e) => e.uri === HDREXT.mid);
  if (mid) result.midExtId = mid.id;
  return result;
}

/** The payload types of the answer, in the shape jigasi sends (no fmtp, no rtcp-fb). */
export function answerPayloadTypes(n: NegotiatedAudio): PayloadType[] {
  const pts: PayloadType[] = [
    { id: n.opusPt, name: 'opus', clockRate: 48000, channels: 2, parameters: {}, rtcpFbs: [] },
  ];
  if (n.telephoneEventPt !== undefined) {
    pts.push({ id: n.telephoneEventPt, name: 'telephone-event', clockRate: 8000, channels: 1, parameters: {}, rtcpFbs: [] });
  }
  return pts;
}

export function answerHeaderExtensions(n: NegotiatedAudio): HeaderExtension[] {
  const exts: HeaderExtension[] = [];
  if (n.audioLevelExtId !== undefined) exts.push({ id: n.audioLevelExtId, uri: HDREXT.audioLevel });
  if (n.midExtId !== undefined) exts.push({ id: n.midExtId, uri: HDREXT.mid });
  return exts;
}
