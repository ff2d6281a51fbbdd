import { Buffer } from 'node:buffer';

const VARIANTS = { std: 'base64', rawurl: 'base64url' };

export default {
  b64encode: (input, variant = 'std') => Buffer.from(input).toString(VARIANTS[variant]),
};
