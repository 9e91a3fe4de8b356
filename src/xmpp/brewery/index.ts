export { BreweryClient, type BreweryClientOptions, type BreweryEvents, type BreweryIqHandler, type BreweryState } from './brewery-client.js';
export { buildStatsElement, readStatsElement, NS_COLIBRI, type BreweryStats } from './stats-element.js';
