/** What an INVITE may ask of its call's media, beyond SDP. */

/** The header that turns noise suppression on or off for one call, whatever NOISE_SUPPRESSION says. */
export const NOISE_SUPPRESSION_HEADER = 'X-Noise-Suppression';

/** on/off (also true/false, yes/no, 1/0, any case); undefined when absent or unreadable (the default applies). */
export function noiseSuppressionWanted(value: string | undefined): boolean | undefined {
  const v = value?.trim().toLowerCase();
  if (v === 'on' || v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === 'no' || v === '0') return false;
  return undefined;
}
