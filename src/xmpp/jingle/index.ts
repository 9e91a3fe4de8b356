export * from './types.js';
export { NS, HDREXT } from './namespaces.js';
export {
  JingleError,
  JingleParseError,
  JingleSessionError,
  NegotiationError,
  type JingleErrorCondition,
  type NegotiationReason,
  type XmppErrorCondition,
} from './errors.js';
export { parseJingleIq, parseJingle } from './parse.js';
export {
  buildJingleIq,
  buildJingle,
  buildReason,
  buildTransportInfo,
  buildTransportAccept,
  buildSessionAccept,
  buildSessionTerminate,
  type JingleReasonCondition,
  type TransportInfoParams,
  type SessionAcceptContent,
  type SessionAcceptParams,
  type SessionTerminateParams,
} from './build.js';
export { buildContent, buildCandidate, buildSource, buildTransport } from './build-content.js';
export {
  negotiateAudio,
  findAudioContent,
  answerPayloadTypes,
  answerHeaderExtensions,
  type NegotiatedAudio,
} from './negotiate.js';
export { RemoteSourceMap, type RemoteSource } from './remote-sources.js';
export {
  JingleSession,
  type JingleSessionState,
  type JingleSessionEvents,
  type JingleSessionOptions,
  type InitiateEvent,
  type TransportInfoEvent,
  type TransportReplaceEvent,
  type TerminatedEvent,
  type LocalTransport,
  type LocalMedia,
} from './session.js';
export {
  jingleToSdp,
  sdpToJingle,
  type JingleSdpInput,
  type JingleToSdpOptions,
  type SdpToJingleOptions,
} from './sdp.js';
