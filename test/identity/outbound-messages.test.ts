import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { PasswordPolicy } from "../../shared/auth/password-policy.js";
import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { DevOutbox } from "../../shared/messaging/dev-outbox.js";
import { createOutboundMessenger } from "../../shared/messaging/outbound-factory.js";
import { SmtpOutbox } from "../../shared/messaging/smtp-outbox.js";

/** A minimal SMTP sink: accepts one conversation at a time and records envelopes and data. */
async function startSmtpSink(): Promise<{ port: number; mails: Array<{ from: string; to: string[]; data: string }>; close(): Promise<void> }> {
  const mails: Array<{ from: string; to: string[]; data: string }> = [];
  const server = net.createServer((socket) => {
    let buffer = "";
    let inData = false;
    let current = { from: "", to: [] as string[], data: "" };
    socket.write("220 sink ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let index: number;
      while ((index = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            mails.push(current);
            current = { from: "", to: [], data: "" };
            socket.write("250 queued\r\n");
          } else current.data += `${line}\n`;
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "MAIL") current.from = line.slice(10).trim();
        if (verb === "RCPT") current.to.push(line.slice(8).trim());
        if (verb === "DATA") inData = true;
        if (verb === "QUIT") socket.end("221 bye\r\n");
        else socket.write(verb === "DATA" ? "354 go ahead\r\n" : "250 ok\r\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as net.AddressInfo).port, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("identity: outbound messages and the password list", () => {
  const logger = createLogger({ LOG_LEVEL: "silent", NODE_ENV: "test" });

  it("the SMTP adapter delivers e-mail over SMTP and hands SMS to the outbox", async () => {
    const sink = await startSmtpSink();
    const outbox = new DevOutbox(logger);
    const smtp = new SmtpOutbox(`smtp://127.0.0.1:${sink.port}`, "ChatWave <no-reply@example.test>", outbox, logger);
    try {
      await smtp.send({ channel: "email", to: "ada@example.test", kind: "password_reset", subject: "Reset your password", text: "Your code: 1234" });
      assert.equal(sink.mails.length, 1);
      assert.equal(sink.mails[0]!.from, "<no-reply@example.test>");
      assert.deepEqual(sink.mails[0]!.to, ["<ada@example.test>"]);
      assert.match(sink.mails[0]!.data, /Subject: Reset your password/);
      assert.match(sink.mails[0]!.data, /Your code: 1234/);
      assert.equal(outbox.last("ada@example.test"), undefined);
      await smtp.send({ channel: "sms", to: "+14155550123", kind: "password_reset", subject: "", text: "code 42" });
      assert.equal(sink.mails.length, 1);
      assert.equal(outbox.last("+14155550123")?.text, "code 42");
    } finally {
      smtp.close();
      await sink.close();
    }
  });

  it("picks SMTP when SMTP_URL is set and the development outbox otherwise; the outbox keeps the last messages", async () => {
    const dev = createOutboundMessenger(loadConfig({}), logger);
    assert.ok(dev.messenger instanceof DevOutbox);
    assert.equal(dev.messenger, dev.outbox);
    const withSmtp = createOutboundMessenger(loadConfig({ SMTP_URL: "smtp://127.0.0.1:2525" }), logger);
    assert.ok(withSmtp.messenger instanceof SmtpOutbox);
    (withSmtp.messenger as SmtpOutbox).close();

    const small = new DevOutbox(logger, 3);
    for (let i = 0; i < 5; i++) await small.send({ channel: "email", to: i % 2 ? "B@example.test" : "a@example.test", kind: i < 4 ? "k" : "other", subject: `s${i}`, text: `t${i}` });
    assert.deepEqual(small.sentTo("A@EXAMPLE.TEST").map((m) => m.subject), ["s2", "s4"]);
    assert.equal(small.last("a@example.test", "k")?.subject, "s2");
    assert.equal(small.last("b@example.test")?.subject, "s3");
  });

  it("the password list refuses the common passwords it ships, case-insensitively, and can be replaced", () => {
    const policy = new PasswordPolicy();
    assert.equal(policy.size, 10_000);
    for (const common of ["password", "PASSWORD", "12345678", "iloveyou", "qwertyuiop", "Sunshine"]) assert.equal(policy.isCommon(common), true, common);
    assert.equal(policy.isCommon("Correct-Horse-Battery-9"), false);
    assert.throws(() => policy.assertAcceptable("1QAZ2WSX"), /too common/);
    assert.throws(() => policy.assertAcceptable("💙💙💙💙💙💙💙"), /8 to 128/);
    policy.assertAcceptable("💙💙💙💙💙💙💙💙");
    const dir = mkdtempSync(path.join(os.tmpdir(), "pwlist-"));
    const file = path.join(dir, "list.txt");
    writeFileSync(file, "# a comment\nOnlyThisOne\n");
    const custom = new PasswordPolicy(file);
    assert.equal(custom.size, 1);
    assert.equal(custom.isCommon("onlythisone"), true);
    assert.equal(custom.isCommon("password"), false);
  });
});
