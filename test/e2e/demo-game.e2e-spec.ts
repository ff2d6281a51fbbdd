import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { AppProcess } from '../support/app.js';
import {
  isEvil,
  ownRole,
  playQuest,
  propose,
  rolesOnPage,
  seatControl,
  seatRoles,
  untilPhase,
  untilQuest,
  voteAll,
  type Seat,
} from './demo-game-helpers.js';
import { launchChromium, openDemo, testId, untilText } from './demo-helpers.js';

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const ROOM = 'avalon-1';
/** What Chromium logs for the connection of a page navigated away from. */
const NETWORK_NOISE = /WebSocket connection to .* failed|net::ERR_/;
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/demo/', import.meta.url));

describe('Avalon on the demo page: five players in Chromium', () => {
  let app: AppProcess;
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  let seats: Seat[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const [started, launched] = await Promise.allSettled([
      // no AUTH_JWT_SECRET: the pages log in with dev tokens
      AppProcess.start({ env: { DEMO_PAGE: 'on', AUTH_JWT_SECRET: '' } }),
      launchChromium(),
    ]);
    app = started.status === 'fulfilled' ? started.value : (undefined as never);
    browser = launched.status === 'fulfilled' ? launched.value : (undefined as never);
    for (const outcome of [started, launched]) {
      if (outcome.status === 'rejected') {
        throw outcome.reason;
      }
    }
    contexts = await Promise.all(USERS.map(() => browser.newContext()));
    seats = await Promise.all(
      contexts.map(async (context, i) => {
        context.setDefaultTimeout(10_000);
        const page = await context.newPage();
        page.on('pageerror', (error) => pageErrors.push(String(error)));
        page.on('console', (message) => {
          if (message.type() === 'error' && !NETWORK_NOISE.test(message.text())) {
            pageErrors.push(message.text());
          }
        });
        await openDemo(page, app.url, USERS[i], ROOM);
        return { userId: USERS[i], page };
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await app?.kill();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  it('creates a game, shows a refused start in the status line, seats five', async () => {
    const host = seats[0].page;
    await untilText(host, 'game-turn', 'no game in this room yet: start one');
    await host.locator(testId('game-create-button')).click();
    await untilPhase(seats, 'lobby');
    await host.locator(testId('game-start')).click();
    await untilText(host, 'game-error', 'BAD_REQUEST: a game needs 5 to 10 seated players, not 0');
    // Only the host may start; every page may sit.
    expect(await seats[1].page.locator(testId('game-start')).isVisible()).toBe(false);
    await Promise.all(seats.map(({ page }) => page.locator(testId('game-sit')).click()));
    await Promise.all(
      seats.map(({ page }) => page.locator(`${testId('seat')}[data-seat="4"]`).waitFor()),
    );
    await untilText(seats[1].page, 'game-turn', '5 seated (5 to 10 play); alice starts the game');
    const seatNumbers = await host
      .locator(testId('seat'))
      .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.seat));
    expect(seatNumbers).toEqual(['0', '1', '2', '3', '4']);
  });

  it("deals the roles: each page shows its own role, and nobody else's", async () => {
    await seats[0].page.locator(testId('game-start')).click();
    await untilPhase(seats, 'proposing');
    for (const seat of seats) {
      seat.role = await ownRole(seat.page);
      expect(await rolesOnPage(seat.page)).toEqual([[seat.userId, seat.role]]);
    }
    expect(seats.map((seat) => seat.role).sort()).toEqual([
      'assassin',
      'merlin',
      'minion',
      'servant',
      'servant',
    ]);
    // Merlin's page names both evil players; each evil page names the other.
    const evil = seats.filter(isEvil).map((seat) => seat.userId);
    const merlin = seats.find((seat) => seat.role === 'merlin') as Seat;
    const sightsOf = (seat: Seat) =>
      seat.page
        .locator(`${testId('sight')}[data-as="evil"]`)
        .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.userId));
    expect((await sightsOf(merlin)).sort()).toEqual([...evil].sort());
    for (const seat of seats.filter(isEvil)) {
      expect(await sightsOf(seat)).toEqual(evil.filter((id) => id !== seat.userId));
    }
  });

  it('a reloaded page joins again and reads its seat and secret role back (game:view)', async () => {
    const dave = seats[3];
    await openDemo(dave.page, app.url, dave.userId, ROOM);
    expect(await ownRole(dave.page)).toBe(dave.role);
    await untilPhase([dave], 'proposing');
    expect(await rolesOnPage(dave.page)).toEqual([[dave.userId, dave.role]]);
  });

  it('plays a rejection, a failed quest and three successful quests through the pages', async () => {
    const good = seats.filter((seat) => !isEvil(seat));
    const evil = seats.filter(isEvil);

    await propose(seats, [good[0], good[1]]);
    await voteAll(seats, false);
    await Promise.all(seats.map(({ page }) => untilText(page, 'game-rejections', '1')));
    const rejected = seats[1].page.locator(`${testId('seat')}[data-vote="reject"]`);
    expect(await rejected.count()).toBe(5);

    const quests: { team: Seat[]; failing: Seat[] }[] = [
      { team: [evil[0], good[0]], failing: [evil[0]] },
      { team: good, failing: [] },
      { team: [good[1], good[2]], failing: [] },
      { team: good, failing: [] },
    ];
    for (const [index, { team, failing }] of quests.entries()) {
      await propose(seats, team);
      await voteAll(seats, true);
      await untilPhase(seats, 'questing');
      await playQuest(team, failing);
      await untilQuest(seats, index, failing.length > 0 ? 'fail' : 'success');
    }
    const failed = seats[2].page.locator(`${testId('quest')}[data-index="0"]`);
    expect(await failed.getAttribute('data-fails')).toBe('1');
    await untilPhase(seats, 'assassinating');
    for (const seat of seats) {
      expect(await rolesOnPage(seat.page)).toEqual([[seat.userId, seat.role]]);
    }
  });

  it('the Assassin misses Merlin: every page shows good winning and every role', async () => {
    const assassin = seats.find((seat) => seat.role === 'assassin') as Seat;
    const servant = seats.find((seat) => seat.role === 'servant') as Seat;
    const bystander = seats.find((seat) => seat !== assassin) as Seat;
    await seatControl(assassin.page, 'seat-target', servant.userId).waitFor();
    expect(await assassin.page.locator(testId('seat-target')).count()).toBe(4);
    expect(await bystander.page.locator(testId('seat-target')).count()).toBe(0);
    await seatControl(assassin.page, 'seat-target', servant.userId).click();
    await untilPhase(seats, 'over');
    const dealt = Object.fromEntries(seats.map((seat) => [seat.userId, seat.role]));
    for (const { page } of seats) {
      const outcome = page.locator(testId('game-outcome'));
      expect(await outcome.getAttribute('data-winner')).toBe('good');
      expect(await outcome.getAttribute('data-reason')).toBe('merlin-survived');
      expect(await seatRoles(page)).toEqual(dealt);
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const seat of [assassin, bystander]) {
      const path = `${SCREENSHOTS}avalon-${seat.userId}.png`;
      await seat.page.screenshot({ path, fullPage: true });
      console.log(`avalon screenshot: ${path}`);
    }
  });
});
