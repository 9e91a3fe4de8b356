export { ConferenceSession, type JingleHandler } from './ConferenceSession.js';
export { ConferenceConnectError, JoinFailedError, SessionClosedError, errorReplyFor } from './errors.js';
export { DEFAULT_DISCO_FEATURES } from './disco-features.js';
export type { FocusAnswer } from './focus-request.js';
export { FOCUS_NICK, NS as CONFERENCE_NS, PRESENCE_FEATURE } from './namespaces.js';
export type {
  CallDirection,
  ConferenceLogin,
  ConferenceSessionEvents,
  ConferenceSessionOptions,
  JoinOutcome,
  LobbyResult,
  Occupant,
  RemovalInfo,
} from './types.js';
