// What the stand-in k6 modules record, read by run.mjs at the end of a run.
export const trends = new Map();
export const counters = new Map();
export const checks = new Map();
