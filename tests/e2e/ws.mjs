// A WebSocket test client of docs/protocol.md for the end-to-end suites: connects with the `ws`
// package (a token by header or query), keeps every message the server sent (unpacking
// batched frames), and waits for the next one matching a predicate, a reply by id, or the
// close. Uses ws (npm).
import assert from "node:assert/strict";
import WebSocket from "ws";

let nextId = 0;

export class Client {
  /** Connects to the server at base ("http://127.0.0.1:port") on path; resolves once open. */
  static async connect(base, { path = "/ws", token, query = "", headers = {}, origin } = {}) {
    const url = base.replace(/^http/, "ws") + path + (query ? `?${query}` : "");
    const allHeaders = { ...headers };
    if (token) allHeaders.authorization = `Bearer ${token}`;
    const client = new Client(new WebSocket(url, { headers: allHeaders, origin }));
    await new Promise((ok, fail) => {
      client.ws.once("open", ok);
      client.ws.once("error", fail);
      client.ws.once("unexpected-response", (_req, res) => fail(new Error(`handshake answered ${res.statusCode}`)));
    });
    return client;
  }

  constructor(ws) {
    this.ws = ws;
    this.messages = []; // every message received, in order
    this.frames = 0; // text frames received (a batch is one)
    this.taken = new WeakSet(); // messages next() returned
    this.waiters = [];
    this.closed = new Promise((ok) => ws.on("close", (code, reason) => ok({ code, reason: reason.toString() })));
    ws.on("message", (data, binary) => {
      assert.equal(binary, false, "the server sends text frames only");
      this.frames++;
      const value = JSON.parse(data.toString());
      for (const message of Array.isArray(value) ? value : [value]) this.messages.push(message);
      this.wake();
    });
    ws.on("close", () => this.wake());
    ws.on("error", () => {});
  }

  wake() {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Sends a message (an object, given an id unless it has one) and returns its id. */
  send(message) {
    const sent = { id: `m${++nextId}`, ...message };
    this.ws.send(JSON.stringify(sent));
    return sent.id;
  }

  /** Sends raw text or bytes. */
  sendRaw(data, options) {
    this.ws.send(data, options);
  }

  /** The next unread message matching predicate (earlier unmatched ones stay unread). */
  next(predicate = () => true, { timeout = 5000, what = "a message" } = {}) {
    return new Promise((ok, fail) => {
      const look = () => {
        for (let i = 0; i < this.messages.length; i++) {
          const m = this.messages[i];
          if (!this.taken.has(m) && predicate(m)) {
            this.taken.add(m);
            done();
            ok(m);
            return true;
          }
        }
        if (this.ws.readyState === WebSocket.CLOSED) {
          done();
          fail(new Error(`connection closed while waiting for ${what}; got ${JSON.stringify(this.untaken())}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        fail(new Error(`no ${what} within ${timeout} ms; got ${JSON.stringify(this.untaken())}`));
      }, timeout);
      const waiter = () => look();
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!look()) this.waiters.push(waiter);
    });
  }

  /** The reply to the message with this id. */
  reply(id, options) {
    return this.next((m) => m.id === id, { what: `the reply to ${id}`, ...options });
  }

  /** Sends message and returns its reply. */
  async ask(message, options) {
    return this.reply(this.send(message), options);
  }

  /** Subscribes and returns the subscribed reply (failing on an error). */
  async subscribe(channel, since) {
    const reply = await this.ask({ type: "subscribe", channel, ...(since ? { since } : {}) });
    assert.equal(reply.type, "subscribed", `subscribe ${channel}: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** The next event on channel. */
  event(channel, options) {
    return this.next((m) => m.type === "event" && m.channel === channel, { what: `an event on ${channel}`, ...options });
  }

  /** Messages not taken by next() yet. */
  untaken() {
    return this.messages.filter((m) => !this.taken.has(m));
  }

  /** Events on channel received so far (taken or not). */
  events(channel) {
    return this.messages.filter((m) => m.type === "event" && (!channel || m.channel === channel));
  }

  /** Waits until nothing more arrives for quiet ms (the server has sent what it will). */
  async settle(quiet = 150) {
    let count = -1;
    while (count !== this.messages.length) {
      count = this.messages.length;
      await new Promise((ok) => setTimeout(ok, quiet));
    }
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

/** Asserts message is an error reply with this code (and status). */
export function assertWsError(message, code, status) {
  assert.equal(message.type, "error", `expected an error ${code}, got ${JSON.stringify(message)}`);
  assert.equal(message.code, code, JSON.stringify(message));
  if (status) assert.equal(message.status, status, JSON.stringify(message));
  assert.equal(typeof message.message, "string");
  assert.ok(message.message.length > 0);
  return message;
}
