// Upstream parity (see upstream-parity.test.ts): the cases ported from upstream's service and
// route controller tests, through upstream's CCM and Outrigger on one real test cluster.
import { paritySuite } from '../compare/e2e-suite.js';

paritySuite('service and route controllers', (c) => /service\/controller_test|route_controller_test/.test(c.source));
