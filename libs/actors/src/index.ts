export { GodelError, hasErrorCode } from './errors/godel-error';
export {
  InvalidActorIdError,
  UnknownActorKindError,
  MailboxFullError,
  MessageTooLargeError,
  MalformedEnvelopeError,
  AskTimeoutError,
  StaleEpochError,
  StorageUnavailableError,
  HandlerError,
  UnknownMessageError,
  RuntimeStoppedError,
  UnknownEffectError,
  RemoteError,
  MailboxUnavailableError,
} from './errors/runtime-errors';
export { actorId, parseActorId, formatActorId, affinityOf } from './actor-id';
export type { ActorId } from './actor-id';
export { fnv1a, shardOf, shardOfKey, rendezvousOwner, compareStreamIds } from './shard';
export type { ShardId } from './shard';
export { encodeEnvelope, decodeEnvelope, makeEnvelope, newMessageId } from './envelope';
export type { Envelope, Message, TraceCarrier } from './envelope';
export type { TurnObserver } from './tracing';
export type { ActorContext, ActorDefinition, CustomEffect, Effect, EffectExecutor } from './behavior';
export type {
  MailboxEntry,
  DeadLetter,
  AckItem,
  MailboxTransport,
  Lease,
  LeaseManager,
  Membership,
  StoredState,
  StateWrite,
  StateStore,
  ReminderService,
  Reply,
  ReplyBus,
} from './ports';
export { ActorSystem } from './runtime/actor-system';
export type { ActorSystemOptions, RuntimeStats } from './runtime/actor-system-options';
export type { PlacementStrategy } from './placement/placement-strategy';
export { RendezvousPlacement } from './placement/rendezvous-placement';
export { HealthAwarePlacement } from './placement/health-aware-placement';
export { DEFAULT_HEALTH_POLICY, acceptsNewWork, freeSlots, isHealthy, mayOwnShards } from './placement/member-status';
export type { HealthPolicy, MemberStatus } from './placement/member-status';
export type { FederationView, MemberView } from './placement/federation-view';
export type { FederationHooks } from './runtime/actor-system-options';
export { Batcher } from './runtime/batcher';
// the demo / bench actor
export { counterActor } from './examples/counter-actor';
export type { CounterState, CounterMessage } from './examples/counter-actor';
// supervision
export { systemClock, FakeClock } from './supervision/clock';
export type { Clock, TimerHandle } from './supervision/clock';
export { defaultDecider } from './supervision/directive';
export type { Directive, Decider } from './supervision/directive';
export { backoffDelay, defaultBackoff } from './supervision/backoff';
export type { BackoffPolicy } from './supervision/backoff';
export { RestartWindow, defaultIntensity } from './supervision/restart-intensity';
export type { RestartIntensity } from './supervision/restart-intensity';
export { SupervisorStrategy, RESTART_INTENSITY_EXCEEDED } from './supervision/strategy';
export type { SupervisionDecision, SupervisorStrategyOptions } from './supervision/strategy';
export { OneForOneStrategy } from './supervision/one-for-one';
export { actorRef, tellRef, outboxRef, messageOf } from './actor-ref';
export type { ActorRef, TellRef, OutboxRef, MessageSender, PayloadOf, ProtocolMessage } from './actor-ref';
