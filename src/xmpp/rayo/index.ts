export { NS_RAYO, parseDial, refElement, type DialRequest } from './dial.js';
