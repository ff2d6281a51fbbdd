// The demo page's Avalon table. The server runs the game and sends each player their own
// view (game:update, and every game:* ack); this module only shows the newest view and
// offers the moves that view allows. It never knows more than the view says.
/* global document */

const $ = (testId) => document.querySelector(`[data-testid="${testId}"]`);
const describe = (error) => (error?.code ? `${error.code}: ${error.message}` : String(error));

const ROLE_NAMES = {
  merlin: 'Merlin',
  percival: 'Percival',
  servant: 'Loyal Servant of Arthur',
  assassin: 'Assassin',
  morgana: 'Morgana',
  mordred: 'Mordred',
  oberon: 'Oberon',
  minion: 'Minion of Mordred',
};
const REASONS = {
  'merlin-survived': 'three quests succeeded and the Assassin missed Merlin',
  'merlin-assassinated': 'the Assassin found Merlin',
  'three-fails': 'three quests failed',
  'five-rejections': 'five teams in a row were rejected',
  abandoned: 'the host ended the game',
};

/** The table of the room this page has joined: undefined while not in a room. */
let table;

/**
 * Opens the table of `room` (a joined PresenceChannel) for `userId`: listens to game:update,
 * reads the view now and after every resume, and closes with the room.
 */
export function openGameTable(client, room, userId) {
  closeGameTable();
  const current = { client, roomId: room.roomId, userId, view: undefined, picked: new Set() };
  current.unlisten = client.listen('game:update', (update) => {
    if (table === current && update.roomId === current.roomId) {
      showView(update.view);
    }
  });
  table = current;
  room.on('resumed', () => table === current && refreshView());
  room.on('closed', () => table === current && closeGameTable());
  $('game').hidden = false;
  render();
  refreshView();
}

function closeGameTable() {
  table?.unlisten();
  table = undefined;
  showError();
  $('game').hidden = true;
}

/** game:view: the whole private view, e.g. after a resume; NOT_FOUND is "no game yet". */
function refreshView() {
  const current = table;
  current.client
    .request('game:view', { roomId: current.roomId })
    .then((view) => table === current && showView(view))
    .catch((error) => table === current && error.code !== 'NOT_FOUND' && showError(error));
}

/** Pushes and acks may cross: a view older than the one shown is dropped. */
function showView(view) {
  if (table.view && view.version < table.view.version) {
    return;
  }
  if (table.view?.leader !== view.leader || table.view?.phase !== view.phase) {
    table.picked.clear();
  }
  table.view = view;
  render();
}

function showError(error) {
  const message = error ? describe(error) : '';
  $('game-error').textContent = message;
  $('game-error').hidden = !message;
}

/** Sends a game:* request for this room; its ack is the caller's new view. */
function send(event, payload = {}) {
  const current = table;
  showError();
  current.pending = true;
  render();
  current.client
    .request(event, { roomId: current.roomId, ...payload })
    .then((view) => table === current && showView(view))
    .catch((error) => table === current && showError(error))
    .finally(() => {
      current.pending = false;
      if (table === current) {
        render();
      }
    });
}

// ---- What the view allows --------------------------------------------------------------

const seatOf = (view, userId) => view.players.find((player) => player.userId === userId);
const currentQuest = (view) => view.quests[view.questIndex];

function moves(view, me, pending) {
  const phase = view?.phase;
  const seated = view !== undefined && seatOf(view, me) !== undefined;
  const onTeam = view?.proposal?.team.includes(me) ?? false;
  const allowed = {
    create: !view || phase === 'over',
    sit: phase === 'lobby' && !seated,
    stand: phase === 'lobby' && seated,
    start: phase === 'lobby' && view.host === me,
    end: view !== undefined && phase !== 'over' && view.host === me,
    pick: phase === 'proposing' && view.leader === me,
    vote: phase === 'voting' && seated && !view.proposal.votesCast.includes(me),
    quest: phase === 'questing' && onTeam && !view.questPlayed?.includes(me),
    fail: view?.me?.side === 'evil',
    assassinate: phase === 'assassinating' && view.me?.role === 'assassin',
  };
  return pending ? Object.fromEntries(Object.keys(allowed).map((k) => [k, false])) : allowed;
}

// ---- Rendering ---------------------------------------------------------------------------

function render() {
  const { view, userId, picked } = table;
  const allowed = moves(view, userId, table.pending);
  $('game-create-button').disabled = !allowed.create;
  for (const [id, move] of [
    ['game-sit', 'sit'],
    ['game-stand', 'stand'],
    ['game-start', 'start'],
    ['game-end', 'end'],
  ]) {
    $(id).hidden = !allowed[move];
  }
  $('game-table').hidden = !view;
  if (!view) {
    $('game-turn').textContent = 'no game in this room yet: start one';
    return;
  }
  $('game-table').dataset.version = String(view.version);
  $('game-phase').textContent = view.phase;
  $('game-phase').dataset.phase = view.phase;
  $('game-leader').textContent = view.leader ?? '–';
  $('game-rejections').textContent = String(view.rejections);
  $('game-turn').textContent = turnOf(view, userId);
  $('game-seats').replaceChildren(...view.players.map((p) => seatRow(view, p, allowed)));
  $('game-quests').replaceChildren(...view.quests.map((quest, i) => questRow(view, quest, i)));
  $('game-proposal').textContent = proposalText(view);
  $('game-propose').hidden = !allowed.pick;
  $('game-propose').disabled = picked.size !== currentQuest(view)?.size;
  $('game-vote').hidden = !allowed.vote;
  $('game-quest').hidden = !allowed.quest;
  $('game-quest-fail').hidden = !allowed.fail;
  renderMe(view, userId);
  renderOutcome(view);
}

function turnOf(view, me) {
  /** "you pick" or "bob picks". */
  const does = (userId, verb) => (userId === me ? `you ${verb}` : `${userId} ${verb}s`);
  const quest = currentQuest(view);
  switch (view.phase) {
    case 'lobby':
      return `${view.players.length} seated (5 to 10 play); ${does(view.host, 'start')} the game`;
    case 'proposing':
      return `${does(view.leader, 'pick')} a team of ${quest.size} for quest ${view.questIndex + 1}`;
    case 'voting':
      return `everyone votes: ${view.proposal.votesCast.length} of ${view.players.length} votes in`;
    case 'questing':
      return `the team is on quest ${view.questIndex + 1}: ${view.questPlayed?.length ?? 0} of ${quest.size} cards played`;
    case 'assassinating':
      return 'three quests succeeded: the Assassin names Merlin';
    case 'over':
      return 'game over';
  }
  return '';
}

function seatRow(view, player, allowed) {
  const { userId } = player;
  const row = document.createElement('li');
  row.dataset.testid = 'seat';
  row.dataset.userId = userId;
  row.dataset.seat = String(player.seat);
  const tags = [];
  if (allowed.pick) {
    row.append(pickBox(userId));
  }
  row.append(`${player.seat} · ${userId}${userId === table.userId ? ' (you)' : ''} `);
  if (userId === view.host) {
    tags.push(['host', 'host']);
  }
  if (userId === view.leader) {
    row.dataset.leader = 'true';
    tags.push(['leader', 'leader']);
  }
  if (view.proposal?.team.includes(userId)) {
    row.dataset.team = 'true';
    tags.push(['team', 'on the team']);
  }
  const vote = view.proposal?.votes?.[userId];
  if (vote !== undefined) {
    row.dataset.vote = vote ? 'approve' : 'reject';
    tags.push([row.dataset.vote, row.dataset.vote]);
  } else if (view.proposal?.votesCast.includes(userId) && view.phase === 'voting') {
    tags.push(['voted', 'voted']);
  }
  const role = view.roles?.[userId];
  if (role) {
    row.dataset.role = role;
    tags.push([`role ${sideOfRole(role)}`, ROLE_NAMES[role]]);
  }
  row.append(...tags.map(([kind, text]) => tag(kind, text)));
  if (allowed.assassinate && userId !== table.userId) {
    row.append(targetButton(userId));
  }
  return row;
}

const sideOfRole = (role) => (['merlin', 'percival', 'servant'].includes(role) ? 'good' : 'evil');

function tag(kind, text) {
  const span = document.createElement('span');
  span.className = `tag ${kind}`;
  span.textContent = text;
  return span;
}

function pickBox(userId) {
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.dataset.testid = 'seat-pick';
  box.dataset.userId = userId;
  box.checked = table.picked.has(userId);
  box.setAttribute('aria-label', `${userId} on the team`);
  return box;
}

function targetButton(userId) {
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.testid = 'seat-target';
  button.dataset.userId = userId;
  button.textContent = 'Name as Merlin';
  return button;
}

function questRow(view, quest, index) {
  const row = document.createElement('li');
  row.dataset.testid = 'quest';
  row.dataset.index = String(index);
  let text = `${quest.size} players${quest.twoFailsNeeded ? ', 2 fails needed' : ''}`;
  if (quest.result) {
    row.dataset.result = quest.result;
    row.dataset.fails = String(quest.fails ?? 0);
    text += `: ${quest.result} (${quest.fails ?? 0} fail${quest.fails === 1 ? '' : 's'})`;
  } else if (index === view.questIndex && view.phase !== 'over') {
    row.dataset.current = 'true';
    text += ' ← now';
  }
  row.textContent = text;
  return row;
}

function proposalText(view) {
  const proposal = view.proposal;
  if (!proposal) {
    return 'no team proposed yet';
  }
  const team = `${proposal.leader} proposed ${proposal.team.join(', ')}`;
  if (!proposal.votes) {
    return `${team}; votes in: ${proposal.votesCast.join(', ') || 'none'}`;
  }
  const approvals = Object.values(proposal.votes).filter(Boolean).length;
  return `${team}; ${approvals} of ${proposal.votesCast.length} approved`;
}

function renderMe(view, userId) {
  const me = view.me;
  const line = $('game-me');
  if (!me) {
    delete line.dataset.role;
    delete line.dataset.side;
    line.textContent = seatOf(view, userId)
      ? 'roles are dealt when the game starts'
      : 'you are not seated';
    $('game-sees').replaceChildren();
    return;
  }
  line.dataset.userId = userId;
  line.dataset.role = me.role;
  line.dataset.side = me.side;
  line.textContent = `your role: ${ROLE_NAMES[me.role]} (${me.side})`;
  const sights = me.sees.map(({ userId: seen, as }) => {
    const item = document.createElement('li');
    item.dataset.testid = 'sight';
    item.dataset.userId = seen;
    item.dataset.as = as;
    item.textContent = `${seen}: ${as === 'evil' ? 'evil' : 'Merlin or Morgana'}`;
    return item;
  });
  $('game-sees').replaceChildren(...sights);
}

function renderOutcome(view) {
  const outcome = $('game-outcome');
  outcome.hidden = view.phase !== 'over';
  if (view.phase !== 'over') {
    delete outcome.dataset.winner;
    return;
  }
  outcome.dataset.winner = view.winner ?? 'none';
  outcome.dataset.reason = view.reason ?? '';
  const reason = REASONS[view.reason] ?? view.reason;
  outcome.textContent = view.winner ? `${view.winner} wins: ${reason}` : `no winner: ${reason}`;
}

// ---- Moves -------------------------------------------------------------------------------

$('game-create').addEventListener('submit', (event) => {
  event.preventDefault();
  const roles = {};
  for (const role of ['percival', 'morgana', 'mordred', 'oberon']) {
    if ($(`role-${role}`).checked) {
      roles[role] = true;
    }
  }
  send('game:create', Object.keys(roles).length > 0 ? { roles } : {});
});

for (const [id, event] of [
  ['game-sit', 'game:sit'],
  ['game-stand', 'game:stand'],
  ['game-start', 'game:start'],
  ['game-end', 'game:end'],
]) {
  $(id).addEventListener('click', () => send(event));
}

$('game-seats').addEventListener('change', (event) => {
  const box = event.target.closest('[data-testid="seat-pick"]');
  if (box) {
    table.picked[box.checked ? 'add' : 'delete'](box.dataset.userId);
    // Only the button: re-rendering the rows would replace the box being clicked.
    $('game-propose').disabled = table.picked.size !== currentQuest(table.view).size;
  }
});

$('game-seats').addEventListener('click', (event) => {
  const button = event.target.closest('[data-testid="seat-target"]');
  if (button) {
    send('game:assassinate', { target: button.dataset.userId });
  }
});

$('game-propose').addEventListener('click', () => {
  const seatOrder = table.view.players.map((player) => player.userId);
  send('game:propose', { team: seatOrder.filter((userId) => table.picked.has(userId)) });
});

$('game-approve').addEventListener('click', () => send('game:vote', { approve: true }));
$('game-reject').addEventListener('click', () => send('game:vote', { approve: false }));
$('game-quest-success').addEventListener('click', () => send('game:quest', { success: true }));
$('game-quest-fail').addEventListener('click', () => send('game:quest', { success: false }));
