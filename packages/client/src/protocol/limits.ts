/** Size limits of the wire protocol: UTF-8 bytes of the JSON serialization, inclusive. */
export const Limits = {
  /** A presence state, also after a merge patch is applied. */
  STATE_BYTES: 16 * 1024,
  /** One metadata item's value. */
  VALUE_BYTES: 8 * 1024,
  /** Items in one channel. */
  ITEMS_PER_CHANNEL: 256,
  /** Length of a metadata key. */
  KEY_LENGTH: 128,
  /** A room message's data. */
  MESSAGE_BYTES: 8 * 1024,
  /** Lock TTL bounds. */
  LOCK_TTL_MIN_MS: 1000,
  LOCK_TTL_MAX_MS: 300_000,
} as const;
