//! [`Network`]: a [`Graph`] whose nodes carry keys (customer ids, or any
//! strings), with the builders that read a [`CustomerBase`] or an edge list.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::graph::{Duplicates, EdgeKind, Graph, GraphBuilder, GraphError, NodeIndex};
use crate::consent::{Profiled, may_profile};
use crate::{CustomerBase, CustomerId, EventKind};

/// Each node's key to its index, without a second copy of the keys: the
/// table holds node indices and finds them through the network's keys.
#[derive(Debug, Clone, Default)]
struct KeyIndex {
    table: hashbrown::HashTable<u32>,
    state: foldhash::fast::FixedState,
}

impl KeyIndex {
    /// The index of `keys`, all distinct: their hashes computed on the
    /// thread pool, then entered in one pass.
    #[cfg(feature = "csv")]
    fn of<K: Hash + Sync>(keys: &[K]) -> Self {
        let state = foldhash::fast::FixedState::default();
        let hashes: Vec<Vec<u64>> = crate::util::par_map(&crate::util::pieces(keys, crate::util::threads()), |piece| {
            piece.iter().map(|key| state.hash_one(key)).collect()
        });
        let mut table = hashbrown::HashTable::with_capacity(keys.len());
        for (node, hash) in hashes.into_iter().flatten().enumerate() {
            let node = u32::try_from(node).expect("fewer than 2^32 nodes");
            table.insert_unique(hash, node, |&n| state.hash_one(&keys[n as usize]));
        }
        KeyIndex { table, state }
    }

    /// The node of `key` among `keys`.
    fn get<K: Borrow<Q>, Q: Hash + Eq + ?Sized>(&self, keys: &[K], key: &Q) -> Option<NodeIndex> {
        // `Borrow` promises that a key and its borrowed form hash alike.
        let hash = self.state.hash_one(key);
        self.table.find(hash, |&n| keys[n as usize].borrow() == key).map(|&n| NodeIndex::new(n as usize))
    }

    /// Enters `keys[node]`, not yet entered.
    fn insert<K: Hash>(&mut self, keys: &[K], node: NodeIndex) {
        let KeyIndex { table, state } = self;
        let n = u32::try_from(node.index()).expect("fewer than 2^32 nodes");
        table.insert_unique(state.hash_one(&keys[node.index()]), n, |&m| state.hash_one(&keys[m as usize]));
    }
}

/// A [`Graph`] plus the key of each node: a [`CustomerId`] for a graph of a
/// [`CustomerBase`], a `String` for an edge list read from a file.
///
/// The algorithms run on [`graph`](Network::graph) and speak in
/// [`NodeIndex`]es; [`key`](Network::key) and [`node`](Network::node)
/// translate.
///
/// # Example
///
/// ```
/// use customer_lifecycle::relationship::{EdgeKind, NetworkBuilder};
///
/// let mut builder = NetworkBuilder::new();
/// builder.add_edge("ana".to_string(), "bo".to_string(), EdgeKind::Follows, 1.0)?;
/// let network = builder.build()?;
/// let bo = network.node("bo").unwrap();
/// assert_eq!(network.key(bo).map(String::as_str), Some("bo"));
/// assert_eq!(network.graph().edge_count(), 1);
/// # Ok::<(), customer_lifecycle::relationship::GraphError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Network<K> {
    graph: Graph,
    keys: Vec<K>,
    index: KeyIndex,
    left_out: usize,
}

impl<K: Eq + Hash> Network<K> {
    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Every node's key, by node index.
    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    /// The key of a node.
    pub fn key(&self, node: NodeIndex) -> Option<&K> {
        self.keys.get(node.index())
    }

    /// The node with this key.
    pub fn node<Q>(&self, key: &Q) -> Option<NodeIndex>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.index.get(&self.keys, key)
    }

    /// How many customers [`from_base`](Network::from_base) left out for
    /// withheld profiling consent (0 for a network built otherwise).
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// The graph and the keys, taken apart.
    pub fn into_parts(self) -> (Graph, Vec<K>) {
        (self.graph, self.keys)
    }
}

/// Builds a [`Network`], giving each new key the next node index (in order
/// of first appearance).
///
/// The same rules as [`GraphBuilder`]: self-loops refused unless allowed,
/// duplicates keep the last weight unless told otherwise.
#[derive(Debug, Clone)]
pub struct NetworkBuilder<K> {
    builder: GraphBuilder,
    keys: Vec<K>,
    index: KeyIndex,
}

impl<K: Eq + Hash + Clone> Default for NetworkBuilder<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Eq + Hash + Clone> NetworkBuilder<K> {
    /// An empty builder.
    pub fn new() -> Self {
        NetworkBuilder { builder: GraphBuilder::new(0), keys: Vec::new(), index: KeyIndex::default() }
    }

    /// A builder whose nodes are `keys`, in order, all distinct.
    #[cfg(feature = "csv")]
    pub(crate) fn with_keys(keys: Vec<K>) -> Self
    where
        K: Sync,
    {
        let index = KeyIndex::of(&keys);
        debug_assert!(
            keys.iter().enumerate().all(|(i, key)| index.get(&keys, key) == Some(NodeIndex::new(i))),
            "distinct keys"
        );
        NetworkBuilder { builder: GraphBuilder::new(keys.len()), keys, index }
    }

    /// Whether self-loops are accepted (default `false`).
    #[must_use]
    pub fn allow_self_loops(mut self, allow: bool) -> Self {
        self.builder = self.builder.allow_self_loops(allow);
        self
    }

    /// The rule for duplicate edges (default [`Duplicates::KeepLast`]).
    #[must_use]
    pub fn duplicates(mut self, rule: Duplicates) -> Self {
        self.builder = self.builder.duplicates(rule);
        self
    }

    /// The node of `key`, added if new.
    pub fn add_node(&mut self, key: K) -> NodeIndex {
        if let Some(node) = self.index.get(&self.keys, &key) {
            return node;
        }
        let node = self.builder.add_node();
        self.keys.push(key);
        self.index.insert(&self.keys, node);
        node
    }

    /// Adds the edge `source → target` (word travels from source to target),
    /// adding the nodes if new, and returns their indices.
    ///
    /// # Errors
    ///
    /// As [`GraphBuilder::add_edge`]; the nodes stay added.
    pub fn add_edge(
        &mut self,
        source: K,
        target: K,
        kind: EdgeKind,
        weight: f64,
    ) -> Result<(NodeIndex, NodeIndex), GraphError> {
        let s = self.add_node(source);
        let t = self.add_node(target);
        self.builder.add_edge(s, t, kind, weight)?;
        Ok((s, t))
    }

    /// Adds the edge `source → target` between nodes already added.
    ///
    /// # Errors
    ///
    /// As [`GraphBuilder::add_edge`].
    #[cfg(feature = "csv")]
    pub(crate) fn add_edge_between(
        &mut self,
        source: NodeIndex,
        target: NodeIndex,
        kind: EdgeKind,
        weight: f64,
    ) -> Result<(), GraphError> {
        self.builder.add_edge(source, target, kind, weight)
    }

    /// Assembles the network.
    ///
    /// # Errors
    ///
    /// As [`GraphBuilder::build`].
    pub fn build(self) -> Result<Network<K>, GraphError> {
        Ok(Network { graph: self.builder.build()?, keys: self.keys, index: self.index, left_out: 0 })
    }
}

/// The weight given to each kind of edge read from a [`CustomerBase`]: the
/// strength of the relationship, or for diffusion the probability that word
/// passes along it. Both default to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EdgeWeights {
    /// The weight of a follow (followed → follower).
    pub follows: f64,
    /// The weight of a referral (referrer → referred).
    pub referral: f64,
}

impl Default for EdgeWeights {
    fn default() -> Self {
        EdgeWeights { follows: 1.0, referral: 1.0 }
    }
}

impl Network<CustomerId> {
    /// The relationship graph of a customer base as of an instant.
    ///
    /// Every customer of the base is a node, in the base's order, except
    /// those who withheld profiling consent at `as_of` or at their latest
    /// change: they are left out (no node, no edge), counted in
    /// [`left_out`](Network::left_out). Each
    /// `Follow { of: Some(x) }` event of customer c at or before `as_of`
    /// adds `x → c` of kind [`EdgeKind::Follows`]; each
    /// `Referral { invitee }` adds `c → invitee` of kind
    /// [`EdgeKind::ReferredBy`]: both point the way word travels. A repeated
    /// follow or referral is one edge.
    ///
    /// # Errors
    ///
    /// [`GraphError::InvalidWeight`] when a weight in `weights` is negative or
    /// not finite.
    ///
    /// # Complexity
    ///
    /// O(customers + events) plus the build.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use customer_lifecycle::relationship::{EdgeKind, EdgeWeights, Network};
    /// use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, NewCustomer, Policy};
    ///
    /// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let mut base = CustomerBase::new(Policy::default());
    /// let ana = base.add_customer(NewCustomer::with_key("ana", t0))?;
    /// let bo = base.add_customer(NewCustomer::with_key("bo", t0))?;
    /// base.apply(&Event {
    ///     id: EventId::from_key("f1"),
    ///     customer: bo,
    ///     at: t0,
    ///     channel: Channel::Twitter,
    ///     kind: EventKind::Follow { of: Some(ana) },
    /// })?;
    /// let network = Network::from_base(&base, t0, EdgeWeights::default())?;
    /// let (a, b) = (network.node(&ana).unwrap(), network.node(&bo).unwrap());
    /// assert_eq!(network.graph().edge_weight(a, b, EdgeKind::Follows), Some(1.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_base(base: &CustomerBase, as_of: DateTime<Utc>, weights: EdgeWeights) -> Result<Self, GraphError> {
        let Profiled { customers, left_out } = Profiled::as_of(base, as_of);
        let kept = |id: CustomerId| base.get(id).is_none_or(|other| may_profile(base, other, as_of));
        let mut builder = NetworkBuilder::new();
        for customer in &customers {
            builder.add_node(customer.id());
        }
        for customer in &customers {
            let c = customer.id();
            for event in base.events(c).into_iter().flatten().filter(|e| e.at <= as_of) {
                match event.kind {
                    EventKind::Follow { of: Some(followed) } if kept(followed) => {
                        builder.add_edge(followed, c, EdgeKind::Follows, weights.follows)?;
                    }
                    EventKind::Referral { invitee } if kept(invitee) => {
                        builder.add_edge(c, invitee, EdgeKind::ReferredBy, weights.referral)?;
                    }
                    _ => {}
                }
            }
        }
        Ok(Network { left_out, ..builder.build()? })
    }
}
