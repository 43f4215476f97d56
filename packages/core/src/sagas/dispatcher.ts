import type { CommandContract } from '../contracts/contracts.js';
import { isTandemError, NonRetryableError } from '../errors/errors.js';
import { requestedInputVersion, upcastInput } from '../runtime/upcast-input.js';
import type { HandlerContext } from '../runtime/handler-context.js';
import type { SagaBinding } from './compile.js';
import type { SagaModel } from './define.js';
import type { SagaCommandData, SagaReplyData } from './messages.js';

/** A command call's deadline when the saga sets none. */
export const DEFAULT_SAGA_COMMAND_TIMEOUT_MS = 30_000;

/**
 * Calls a command a saga sent and publishes its answer as a reply to the instance. A call to
 * another service carries the send's id as its idempotency key, so a retry after a crash or
 * a lost answer is answered from the callee's record rather than run twice. A failure the saga's policy
 * retries is thrown (the runtime retries the message); the last one, or one that retrying
 * cannot help, is answered as a failed reply, so the saga decides and never waits forever.
 */
export async function dispatchCommand(
  model: SagaModel,
  binding: SagaBinding,
  data: SagaCommandData,
  ctx: HandlerContext,
): Promise<void> {
  const command = model.commands.get(data.command);
  if (!command)
    throw new NonRetryableError(
      `saga '${model.name}': command '${data.command}' is not declared by this saga (in sends or onReply); was it removed while instances still send it?`,
    );
  const base = { saga: data.saga, id: data.id, commandId: data.commandId, command: data.command };
  let reply: SagaReplyData;
  try {
    const timeoutMs = model.options.commandTimeoutMs ?? DEFAULT_SAGA_COMMAND_TIMEOUT_MS;
    const input = await currentInput(command, data);
    // In process, the command joins this run's transaction: its writes, this message's inbox
    // record and the reply commit together, which is exactly once without a key (and a key's
    // claim, made on a connection of its own, could wait for one this run's peers hold).
    const output = await ctx.call(
      command,
      input as never,
      binding.servedHere(command.name) ? { timeoutMs } : { idempotencyKey: data.commandId, timeoutMs },
    );
    reply = { ...base, ok: true, ...(output !== undefined ? { output } : {}) };
  } catch (error) {
    const policy = binding.policy();
    const retryable = policy.retryable(error);
    if (retryable && ctx.meta.attempt < policy.attempts) throw error;
    const code = isTandemError(error) ? error.code : 'TANDEM_ERROR';
    const message = error instanceof Error ? error.message : String(error);
    ctx.log.warn(
      { saga: model.name, id: data.id, command: data.command, attempt: ctx.meta.attempt, code },
      `saga command failed for good${retryable ? ' after its last attempt (outcome unknown)' : ''}; replying with the failure`,
    );
    reply = { ...base, ok: false, error: { code, message, uncertain: retryable } };
  }
  await ctx.publish(binding.contracts.reply, reply, { key: data.id });
}

/**
 * The send's input at the command's current version. An instance may have sent it before a
 * deploy moved the command's input on (a message in the queue, a compensation kept for
 * days): it is upcast as a caller at its version would be, so the call goes out at the
 * version it now names. A version this code does not declare fails the send for good.
 */
async function currentInput(command: CommandContract, data: SagaCommandData): Promise<unknown> {
  const current = command.version ?? 1;
  if (data.inputVersion === undefined || data.inputVersion === current) return data.input;
  const version = requestedInputVersion(command, String(data.inputVersion));
  return upcastInput(command, version, data.input);
}
