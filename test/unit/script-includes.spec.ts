import { PRESENCE_SCRIPTS } from '../../src/engine/redis/scripts.js';
import { withIncludes } from '../../src/redis/script-registry.js';

describe('Lua includes', () => {
  it.each(PRESENCE_SCRIPTS.map(({ name, file }) => [name, file] as const))(
    '%s reaches Redis self-contained, each shared helper defined once',
    (_name, file) => {
      const lua = withIncludes(file);
      expect(lua).not.toMatch(/#include/);
      expect(lua.match(/local function withLastSeen\b/g)?.length ?? 0).toBeLessThanOrEqual(1);
      if (lua.includes('withLastSeen(')) {
        expect(lua).toMatch(/local function withLastSeen\(raw, expiresAt\)/);
      }
    },
  );
});
