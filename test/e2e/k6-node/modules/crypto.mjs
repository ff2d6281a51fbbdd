import { createHmac } from 'node:crypto';

const DIGESTS = { hex: 'hex', base64: 'base64', base64rawurl: 'base64url' };

export default {
  hmac: (algorithm, secret, input, encoding) =>
    createHmac(algorithm, secret).update(input).digest(DIGESTS[encoding]),
};
