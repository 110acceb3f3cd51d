/**
 * The integer contract version. A plugin built against a different API_VERSION is refused at load
 * time with a message naming the plugin. Bumped together with plugin-api's major version.
 */
export const API_VERSION = 1 as const;
export type ApiVersion = typeof API_VERSION;

/** Brand carried by every capability object; checked structurally, never with instanceof. */
export const CAPABILITY_BRAND = 'continuum.capability' as const;
