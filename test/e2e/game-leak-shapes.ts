/**
 * GAME.md's game objects as shapes: every key each may carry and what its value is. A key
 * not listed is a problem wherever it turns up: that is how a hidden field would leak.
 */

export const ROLE_NAMES = [
  'merlin',
  'percival',
  'servant',
  'assassin',
  'morgana',
  'mordred',
  'oberon',
  'minion',
] as const;

type Leaf = 'string' | 'number' | 'boolean' | 'strings' | 'string-or-null';
interface OneOf {
  oneOf: readonly (string | boolean)[];
}
interface Shape {
  name: string;
  required: Record<string, Spec>;
  optional?: Record<string, Spec>;
}
interface ListOf {
  listOf: Shape;
}
interface MapOf {
  mapOf: Leaf | OneOf;
}
type Spec = Leaf | OneOf | Shape | ListOf | MapOf;

const ROLE: OneOf = { oneOf: ROLE_NAMES };
const SIDE: OneOf = { oneOf: ['good', 'evil'] };

const SIGHT: Shape = {
  name: 'sight',
  required: { userId: 'string', as: { oneOf: ['evil', 'merlin-or-morgana'] } },
};
const ME: Shape = { name: 'me', required: { role: ROLE, side: SIDE, sees: { listOf: SIGHT } } };
const PLAYER: Shape = { name: 'player', required: { userId: 'string', seat: 'number' } };
const QUEST: Shape = {
  name: 'quest',
  required: { size: 'number', twoFailsNeeded: 'boolean' },
  optional: { result: { oneOf: ['success', 'fail'] }, fails: 'number' },
};
const PROPOSAL: Shape = {
  name: 'proposal',
  required: { leader: 'string', team: 'strings', votesCast: 'strings' },
  optional: { votes: { mapOf: 'boolean' } },
};

const VIEW: Shape = {
  name: 'view',
  required: {
    roomId: 'string',
    gameId: 'string',
    version: 'number',
    phase: { oneOf: ['lobby', 'proposing', 'voting', 'questing', 'assassinating', 'over'] },
    host: 'string',
    players: { listOf: PLAYER },
    leader: 'string-or-null',
    questIndex: 'number',
    rejections: 'number',
    quests: { listOf: QUEST },
  },
  optional: {
    proposal: PROPOSAL,
    questPlayed: 'strings',
    me: ME,
    winner: SIDE,
    reason: {
      oneOf: [
        'merlin-survived',
        'merlin-assassinated',
        'three-fails',
        'five-rejections',
        'abandoned',
      ],
    },
    roles: { mapOf: ROLE },
  },
};

export const UPDATE: Shape = {
  name: 'game:update',
  required: { roomId: 'string', version: 'number', view: VIEW },
};
export const VIEW_ACK: Shape = { name: 'ack', required: { ok: { oneOf: [true] }, data: VIEW } };
export const FAILED_ACK: Shape = {
  name: 'ack',
  required: {
    ok: { oneOf: [false] },
    error: { name: 'error', required: { code: 'string', message: 'string' } },
  },
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where `value` strays from `spec`: extra or missing keys, wrong types, unknown values. */
export function shapeProblems(value: unknown, spec: Spec, path: string): string[] {
  if (typeof spec === 'string') {
    return leafFits(value, spec) ? [] : [`${path}: not ${spec}: ${JSON.stringify(value)}`];
  }
  if ('oneOf' in spec) {
    return spec.oneOf.includes(value as string) ? [] : [`${path}: ${JSON.stringify(value)}`];
  }
  if ('listOf' in spec) {
    return Array.isArray(value)
      ? value.flatMap((item, i) => shapeProblems(item, spec.listOf, `${path}[${i}]`))
      : [`${path}: not a list`];
  }
  if ('mapOf' in spec) {
    return isObject(value)
      ? Object.entries(value).flatMap(([k, v]) => shapeProblems(v, spec.mapOf, `${path}.${k}`))
      : [`${path}: not an object`];
  }
  return objectProblems(value, spec, path);
}

function objectProblems(value: unknown, shape: Shape, path: string): string[] {
  if (!isObject(value)) {
    return [`${path}: not a ${shape.name} object`];
  }
  const known = { ...shape.optional, ...shape.required };
  return [
    ...Object.keys(shape.required)
      .filter((key) => !Object.hasOwn(value, key))
      .map((key) => `${path}: ${shape.name} without ${key}`),
    ...Object.entries(value).flatMap(([key, v]) =>
      Object.hasOwn(known, key)
        ? shapeProblems(v, known[key], `${path}.${key}`)
        : [`${path}: ${shape.name} has a key GAME.md does not allow: ${key}`],
    ),
  ];
}

function leafFits(value: unknown, leaf: Leaf): boolean {
  switch (leaf) {
    case 'string':
    case 'number':
    case 'boolean':
      return typeof value === leaf;
    case 'string-or-null':
      return value === null || typeof value === 'string';
    case 'strings':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
  }
}
