// The demo page: one RealtimeClient, one room (presence, chat, a shared counter, an
// Avalon table: game.js).
// Plain ES module; the import map in index.html points the SDK and socket.io-client at
// files the server serves, so no bundler is involved.
/* global document, fetch, location, atob */
import { RealtimeClient } from '@avalon-realtime/client';
import { openGameTable } from './game.js';

const $ = (testId) => document.querySelector(`[data-testid="${testId}"]`);
/** Clicks wait for the previous increment: the page's own clicks never race each other. */
let increments = Promise.resolve();
let client;
/** The logged-in user (the token's `sub`). */
let loggedInAs;
let room;
let meta;
/** connId → last status seen, to tell "went away" from other updates. */
const statuses = new Map();

function show(testId, message) {
  $(testId).textContent = message ?? '';
  $(testId).hidden = !message;
}

const describe = (error) => (error?.code ? `${error.code}: ${error.message}` : String(error));

function addLine(list, text, attributes = {}) {
  const item = document.createElement('li');
  item.textContent = text;
  Object.entries(attributes).forEach(([name, value]) => item.setAttribute(name, value));
  $(list).append(item);
  item.scrollIntoView({ block: 'nearest' });
}

// ---- Log in -------------------------------------------------------------------------

/** The claims of a JWT, read (not verified: the server does that). */
function claimsOf(token) {
  const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(payload));
}

async function fetchDevToken(userId) {
  const res = await fetch('/demo/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  if (res.status === 404) {
    $('paste-login-box').open = true;
    throw new Error('this server hands out no dev tokens (production): paste a token below');
  }
  if (!res.ok) {
    throw new Error(`dev token refused (${res.status}): ${(await res.json()).message}`);
  }
  return (await res.json()).token;
}

/** The SDK calls this again to refresh: a new dev token once half of the old one's life is gone. */
function devTokenSource(userId, first) {
  let token = first;
  return async () => {
    const { iat, exp } = claimsOf(token);
    if (Date.now() / 1000 > iat + (exp - iat) / 2) {
      token = await fetchDevToken(userId);
    }
    return token;
  };
}

async function logIn(token) {
  await client?.close();
  const userId = claimsOf(typeof token === 'string' ? token : await token()).sub;
  loggedInAs = userId;
  client = new RealtimeClient({
    url: location.origin,
    token,
    reconnect: { minDelayMs: 200, maxDelayMs: 2000 },
  });
  client.on('status', (status) => show('status', `${status} as ${userId}`));
  show('status', `${client.status} as ${userId}`);
  await client.connect();
  $('login').hidden = true;
  $('room').hidden = false;
}

$('dev-login').addEventListener('submit', (event) => {
  event.preventDefault();
  const userId = $('user-id').value.trim();
  show('login-error');
  fetchDevToken(userId)
    .then((token) => logIn(devTokenSource(userId, token)))
    .catch((error) => show('login-error', describe(error)));
});

$('paste-login').addEventListener('submit', (event) => {
  event.preventDefault();
  show('login-error');
  logIn($('token').value.trim()).catch((error) => show('login-error', describe(error)));
});

// ---- Room: members, activity, chat, counter -------------------------------------------

function renderMembers() {
  const items = [...room.members.values()].map((member) => {
    const item = document.createElement('li');
    const badge = document.createElement('span');
    badge.className = `badge ${member.status}`;
    badge.textContent = member.status;
    const you = member.connId === room.connId ? ' (you)' : '';
    item.append(`${member.userId}${you} `, badge);
    item.dataset.testid = 'member';
    item.dataset.userId = member.userId;
    item.dataset.status = member.status;
    item.dataset.connId = member.connId;
    return item;
  });
  $('members').replaceChildren(...items);
}

function noteActivity(kind) {
  return (member) => {
    const before = statuses.get(member.connId);
    statuses.set(member.connId, member.status);
    if (kind === 'leave') {
      statuses.delete(member.connId);
      addLine('activity', `${member.userId} left`, { 'data-kind': 'leave' });
    } else if (kind === 'join') {
      addLine('activity', `${member.userId} joined`, { 'data-kind': 'join' });
    } else if (before !== member.status) {
      addLine('activity', `${member.userId} is ${member.status}`, { 'data-kind': member.status });
    }
    renderMembers();
  };
}

function renderCounter() {
  const value = meta?.items.get('counter')?.value;
  $('counter-value').textContent = String(value ?? 0);
}

function setJoined(joined) {
  ['chat-input', 'chat-send', 'counter-increment', 'leave-button'].forEach((id) => {
    $(id).disabled = !joined;
  });
  $('join-button').disabled = joined;
  $('room-id').disabled = joined;
}

/** The room is gone (left, or closed by the SDK: `stale`, `failed`, `closed`). */
function roomClosed(reason) {
  meta?.off('change', renderCounter);
  meta = undefined;
  statuses.clear();
  $('members').replaceChildren();
  setJoined(false);
  if (reason !== 'left') {
    show('room-error', `no longer in the room (${reason})`);
  }
}

async function join(roomId) {
  room = client.presence(roomId);
  ['join', 'update', 'leave'].forEach((kind) => room.on(kind, noteActivity(kind)));
  room.on('members', renderMembers);
  room.on('message', (message) => {
    if (message.type === 'chat') {
      addLine('chat-log', `${message.from.userId}: ${message.data?.text}`, {
        'data-testid': 'chat-message',
      });
    }
  });
  room.on('closed', roomClosed);
  await room.join();
  room.members.forEach((member) => statuses.set(member.connId, member.status));
  renderMembers();
  meta = client.metadata({ channelType: 'room', channelName: roomId });
  meta.on('change', renderCounter);
  await meta.get();
  renderCounter();
  setJoined(true);
  openGameTable(client, room, loggedInAs);
}

$('join').addEventListener('submit', (event) => {
  event.preventDefault();
  show('room-error');
  join($('room-id').value.trim()).catch((error) => show('room-error', describe(error)));
});

$('leave-button').addEventListener('click', () => {
  room?.leave().catch((error) => show('room-error', describe(error)));
});

$('chat').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('chat-input').value.trim();
  if (!text) {
    return;
  }
  $('chat-input').value = '';
  room
    .send('chat', { text })
    .then(() => addLine('chat-log', `me: ${text}`, { 'data-testid': 'chat-message' }))
    .catch((error) => show('room-error', describe(error)));
});

$('counter-increment').addEventListener('click', () => {
  increments = increments
    .then(() => meta.update('counter', (value) => (typeof value === 'number' ? value : 0) + 1))
    .then(renderCounter)
    .catch((error) => show('room-error', describe(error)));
});
