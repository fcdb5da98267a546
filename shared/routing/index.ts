/**
 * Routing over the public graph (issue 18): the compact channel graph and
 * its snapshot, the probabilistic scorer, and the pathfinder with
 * multi-part payments. Pure: no I/O, no clock, no randomness.
 */
export {
  MAX_GRAPH_MSAT,
  NODE_ID_LENGTH,
  NetworkGraph,
  buildNetworkGraph,
  type ChannelAnnouncementRecord,
  type ChannelUpdateOutcome,
  type ChannelUpdateRecord,
  type DirectionalPolicy,
  type GraphBuildReport,
  type GraphColumns,
} from './network-graph.js';
export { GRAPH_SNAPSHOT_VERSION, decodeGraphSnapshot, encodeGraphSnapshot } from './graph-snapshot.js';
export {
  DEFAULT_SCORING_PARAMETERS,
  NEGATIVE_LOG10_UPPER_BOUND,
  ProbabilisticScorer,
  directionOf,
  type LiquidityBounds,
  type ScoredHop,
  type ScoringParameters,
} from './scorer.js';
export {
  DEFAULT_MAX_PATH_COUNT,
  DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA,
  MAX_ROUTE_HOPS,
  RouteErrorCode,
  type FirstHop,
  type PaymentRoutesResult,
  type Route,
  type RouteError,
  type RouteHop,
  type RouteRequest,
  type RouteResult,
} from './route.js';
export { findPaymentRoutes, findRoute, type Scoring } from './pathfinder.js';
