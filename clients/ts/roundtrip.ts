// Drives a served Timeline API through the generated TypeScript SDK:
// create a source, an event citing it, a review, read the pair timeline across
// two pages, and check that a bad request comes back as a typed Problem.
//
//   TIMELINE_BASE_URL=http://127.0.0.1:8000 TIMELINE_EDITOR_TOKEN=... \
//   TIMELINE_REVIEWER_TOKEN=... node build/ts/roundtrip.js
//
// Prints one JSON summary line on success; any failure exits non-zero.

import { createClient, createConfig } from '../generated/ts/client/index.js';
import {
  createCitation,
  createEvent,
  createReview,
  createSource,
  getEvent,
  listPairTimeline,
} from '../generated/ts/index.js';
import type { Event, Problem, Review, Source, TimelinePage } from '../generated/ts/index.js';

class RoundTripFailure extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new RoundTripFailure(message);
  }
}

function env(name: string): string {
  const value = process.env[name];
  check(value, `${name} is not set`);
  return value;
}

/** Fails unless the SDK call got an answer with this status (network errors included). */
function expectStatus(
  result: { response?: Response; error?: unknown },
  status: number,
  step: string,
): void {
  check(result.response, `${step}: no answer: ${String(result.error)}`);
  check(
    result.response.status === status,
    `${step}: status ${result.response.status}, not ${status}: ${JSON.stringify(result.error)}`,
  );
}

function etagOf(response: Response, step: string): string {
  const etag = response.headers.get('ETag');
  check(etag, `${step}: the response has no ETag`);
  return etag;
}

function clientFor(baseUrl: string, token: string) {
  return createClient(createConfig({ baseUrl, auth: () => token }));
}

async function main(): Promise<void> {
  const baseUrl = env('TIMELINE_BASE_URL');
  const editor = clientFor(baseUrl, env('TIMELINE_EDITOR_TOKEN'));
  const reviewer = clientFor(baseUrl, env('TIMELINE_REVIEWER_TOKEN'));
  const run = `ts-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const tag = `roundtrip-${run}`;

  // 1. A source.
  const created = await createSource({
    client: editor,
    body: {
      url: `https://example.org/roundtrip/${run}`,
      title: 'India, Russia review defence ties',
      publisher: 'ANI',
      published_on: '2019-10-29',
    },
  });
  expectStatus(created, 201, 'createSource');
  const source: Source | undefined = created.data;
  check(source?.id, 'createSource: no source in the response');

  // 2. An event, then a citation of the source (with the event's ETag).
  const first = await createEvent({
    client: editor,
    body: {
      title: 'Defence minister visits Moscow',
      summary: 'A three-day visit on defence co-operation.',
      date: '2019-11-05',
      countries: ['in', 'RUS'],
      tags: [tag],
    },
  });
  expectStatus(first, 201, 'createEvent');
  const event: Event | undefined = first.data;
  check(event?.claim_status === 'unverified', 'createEvent: a new event is not unverified');
  const cited = await createCitation({
    client: editor,
    path: { event_id: event.id },
    headers: { 'If-Match': etagOf(first.response, 'createEvent') },
    body: { source_id: source.id, quote: 'The minister will visit Moscow.', stance: 'supports' },
  });
  expectStatus(cited, 201, 'createCitation');
  check(cited.data?.source.id === source.id, 'createCitation: the citation names another source');

  // 3. A review by another person.
  const reviewed = await createReview({
    client: reviewer,
    path: { event_id: event.id },
    headers: { 'If-Match': etagOf(cited.response, 'createCitation') },
    body: { status: 'verified', note: 'The ANI report supports it.' },
  });
  expectStatus(reviewed, 201, 'createReview');
  const review: Review | undefined = reviewed.data;
  check(
    review?.from_status === 'unverified' && review.to_status === 'verified',
    'createReview: the review does not record unverified -> verified',
  );
  const fetched = await getEvent({ client: editor, path: { event_id: event.id } });
  expectStatus(fetched, 200, 'getEvent');
  check(fetched.data?.claim_status === 'verified', 'getEvent: the event is not verified');
  check(fetched.data.citations.length === 1, 'getEvent: the event does not have its citation');

  // A second, earlier event (citing the same source inline, by URL), so the
  // timeline has two pages of one.
  const second = await createEvent({
    client: editor,
    body: {
      title: 'India and Russia review defence ties',
      date: '2019-10-29',
      countries: ['RU', 'IN'],
      tags: [tag],
      citations: [
        {
          source: { url: source.url, title: source.title },
          quote: 'Defence ties were reviewed.',
          stance: 'context',
        },
      ],
    },
  });
  expectStatus(second, 201, 'createEvent (2)');
  check(
    second.data?.citations[0]?.source.id === source.id,
    'createEvent (2): an inline source with a known URL did not reuse the source',
  );

  // 4. The pair timeline, one event a page.
  const pages: TimelinePage[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 3; page += 1) {
    const read = await listPairTimeline({
      path: { pair: 'ru-in' },
      client: editor,
      query: { tag, limit: 1, ...(cursor === undefined ? {} : { cursor }) },
    });
    expectStatus(read, 200, 'listPairTimeline');
    check(read.data, 'listPairTimeline: no page in the response');
    pages.push(read.data);
    if (read.data.next_cursor === null) {
      break;
    }
    cursor = read.data.next_cursor;
  }
  check(pages.length === 2, `listPairTimeline: ${pages.length} pages, not 2`);
  check(pages[0]?.pair.id === 'IN-RU', 'listPairTimeline: the pair is not IN-RU');
  const order = pages.flatMap((page) => page.items.map((item) => item.id));
  check(
    order.length === 2 && order[0] === second.data.id && order[1] === event.id,
    `listPairTimeline: events out of timeline order: ${order.join(', ')}`,
  );

  // 5. A bad request: an impossible date, answered with a typed Problem.
  const bad = await createEvent({
    client: editor,
    body: { title: 'Not a day', date: '2019-02-30', countries: ['IN', 'RU'] },
  });
  expectStatus(bad, 422, 'bad createEvent');
  check(
    bad.response.headers.get('Content-Type')?.startsWith('application/problem+json'),
    'bad createEvent: not application/problem+json',
  );
  const problem: Problem | undefined = bad.error;
  check(problem?.status === 422, 'bad createEvent: the problem has no status 422');
  const dateErrors = problem.errors?.date ?? [];
  check(dateErrors.length > 0, 'bad createEvent: the problem names no error for "date"');

  console.log(
    JSON.stringify({
      client: 'typescript',
      source_id: source.id,
      event_id: event.id,
      claim_status: fetched.data.claim_status,
      review_id: review.id,
      timeline_pages: pages.length,
      timeline_order: order,
      problem: { status: problem.status, type: problem.type, errors: problem.errors },
    }),
  );
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`TypeScript round trip failed: ${message}`);
  process.exit(1);
});
