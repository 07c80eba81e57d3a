// `semantic-router eval-routing`: routing quality of a learned selector on held-out routing-outcome data.
export { EVAL_ROUTING_USAGE, evalRoutingCommand } from '../training/selection/selection-command.ts';
