import type { Page } from 'playwright-core';
import { testId } from './demo-helpers.js';

/** One seat at the table: a user's own page, and the role that page showed them. */
export interface Seat {
  userId: string;
  page: Page;
  role?: string;
}

const EVIL_ROLES: ReadonlySet<string> = new Set([
  'assassin',
  'morgana',
  'mordred',
  'oberon',
  'minion',
]);

export const isEvil = (seat: Seat): boolean => EVIL_ROLES.has(seat.role ?? '');

/** The element of one player on the seat list (`seat-pick`, `seat-target`: its controls). */
export const seatControl = (page: Page, id: string, userId: string) =>
  page.locator(`${testId(id)}[data-user-id="${userId}"]`);

/** Resolves once every page shows the game in `phase`. */
export function untilPhase(seats: Seat[], phase: string): Promise<unknown> {
  return Promise.all(
    seats.map(({ page }) =>
      page.locator(`${testId('game-phase')}[data-phase="${phase}"]`).waitFor(),
    ),
  );
}

/** Resolves once every page shows quest `index` (0-based) with `result`. */
export function untilQuest(seats: Seat[], index: number, result: 'success' | 'fail') {
  return Promise.all(
    seats.map(({ page }) =>
      page.locator(`${testId('quest')}[data-index="${index}"][data-result="${result}"]`).waitFor(),
    ),
  );
}

/** The role the page's own player was dealt, read from its "you" panel. */
export async function ownRole(page: Page): Promise<string> {
  const me = page.locator(`${testId('game-me')}[data-role]`);
  await me.waitFor();
  return (await me.getAttribute('data-role')) ?? '';
}

/** Every `userId → role` the page shows anywhere (its own panel, the seats at the end). */
export function rolesOnPage(page: Page): Promise<[string, string][]> {
  return page
    .locator('[data-role]')
    .evaluateAll((elements): [string, string][] =>
      elements.map((el) => [
        (el as HTMLElement).dataset.userId ?? '',
        (el as HTMLElement).dataset.role ?? '',
      ]),
    );
}

/** `userId → role` of the seat rows (the page shows them once the game is over). */
export async function seatRoles(page: Page): Promise<Record<string, string>> {
  const rows = await page
    .locator(`${testId('seat')}[data-role]`)
    .evaluateAll((elements) =>
      elements.map((el) => [(el as HTMLElement).dataset.userId, (el as HTMLElement).dataset.role]),
    );
  return Object.fromEntries(rows) as Record<string, string>;
}

/** The leader's page picks `team` and proposes it; every page then shows the vote. */
export async function propose(seats: Seat[], team: Seat[]): Promise<void> {
  const leaderId = await seats[0].page.locator(testId('game-leader')).textContent();
  const leader = seats.find((seat) => seat.userId === leaderId) as Seat;
  for (const member of team) {
    await seatControl(leader.page, 'seat-pick', member.userId).check();
  }
  await leader.page.locator(testId('game-propose')).click();
  await untilPhase(seats, 'voting');
}

/** Every page clicks approve (or reject). */
export async function voteAll(seats: Seat[], approve: boolean): Promise<void> {
  const button = testId(approve ? 'game-approve' : 'game-reject');
  await Promise.all(seats.map(({ page }) => page.locator(button).click()));
}

/**
 * Each member of the team plays a card from their page: `fail` for the evil ones in
 * `failing`, success for everyone else. A good member's page offers no fail card.
 */
export async function playQuest(team: Seat[], failing: Seat[] = []): Promise<void> {
  await Promise.all(
    team.map(async ({ page, role }) => {
      await page.locator(testId('game-quest-success')).waitFor();
      const failVisible = await page.locator(testId('game-quest-fail')).isVisible();
      if (failVisible !== EVIL_ROLES.has(role ?? '')) {
        throw new Error(`a ${role}'s page ${failVisible ? 'offers' : 'hides'} the fail card`);
      }
      const fails = failing.some((seat) => seat.page === page);
      await page.locator(testId(fails ? 'game-quest-fail' : 'game-quest-success')).click();
    }),
  );
}
