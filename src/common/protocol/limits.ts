/** Size limits of the wire protocol: UTF-8 bytes of the JSON serialization, inclusive. */
export const Limits = {
  /** A presence state, also after a merge patch is applied. */
  STATE_BYTES: 16 * 1024,
} as const;
