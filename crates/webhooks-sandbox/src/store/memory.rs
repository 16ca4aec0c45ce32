//! The webhooks held in memory, indexed so that every operation costs the same whatever the
//! number stored: by id, and by (url, method) for the 409 check, per account.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;
use webhooks_ergonomic::CallbackMethod;

use super::StoredWebhook;

/// One account's webhooks by id, their creation order (by sequence number), and the route
/// index. A lookup by id is one hash probe; only listing walks the order.
#[derive(Debug, Default)]
struct Account {
    by_id: HashMap<Uuid, (u64, StoredWebhook)>,
    ordered: BTreeMap<u64, Uuid>,
    by_route: HashMap<(String, CallbackMethod), Uuid>,
}

impl Account {
    fn in_order(&self) -> impl Iterator<Item = &StoredWebhook> {
        self.ordered
            .values()
            .filter_map(|id| self.by_id.get(id).map(|(_, webhook)| webhook))
    }
}

/// Every account's webhooks.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    accounts: HashMap<String, Account>,
    /// The account of each id, so an id is unique across accounts.
    accounts_by_id: HashMap<Uuid, String>,
    next_seq: u64,
}

impl Memory {
    /// The sequence number the next insert gets (the database's rowid when state is on).
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub(crate) fn len(&self) -> usize {
        self.accounts_by_id.len()
    }

    /// `page_size` webhooks of `account` from `skip`, in creation order.
    pub(crate) fn page(&self, account: &str, skip: usize, page_size: usize) -> Vec<&StoredWebhook> {
        self.accounts.get(account).map_or_else(Vec::new, |a| {
            a.in_order().skip(skip).take(page_size).collect()
        })
    }

    /// Every webhook of `account` for which `keep` holds.
    pub(crate) fn select(
        &self,
        account: &str,
        keep: impl Fn(&StoredWebhook) -> bool,
    ) -> Vec<StoredWebhook> {
        self.accounts.get(account).map_or_else(Vec::new, |a| {
            a.in_order().filter(|w| keep(w)).cloned().collect()
        })
    }

    pub(crate) fn get(&self, account: &str, id: Uuid) -> Option<&StoredWebhook> {
        self.accounts
            .get(account)?
            .by_id
            .get(&id)
            .map(|(_, webhook)| webhook)
    }

    /// The id of the webhook of `account` with this url and method, if any.
    pub(crate) fn route(&self, account: &str, url: &str, method: CallbackMethod) -> Option<Uuid> {
        self.accounts
            .get(account)?
            .by_route
            .get(&(url.to_owned(), method))
            .copied()
    }

    /// Adds `webhook` at sequence `seq`; the caller has checked that id and route are free.
    pub(crate) fn insert(&mut self, account: &str, seq: u64, webhook: StoredWebhook) {
        let slot = self.accounts.entry(account.to_owned()).or_default();
        slot.ordered.insert(seq, webhook.id);
        slot.by_route
            .insert((webhook.url.clone(), webhook.method), webhook.id);
        self.accounts_by_id.insert(webhook.id, account.to_owned());
        slot.by_id.insert(webhook.id, (seq, webhook));
        self.next_seq = self.next_seq.max(seq + 1);
    }

    /// Replaces the webhook of the same id, keeping its place; whether it existed.
    pub(crate) fn replace(&mut self, account: &str, webhook: StoredWebhook) -> bool {
        let Some(slot) = self.accounts.get_mut(account) else {
            return false;
        };
        let Some((_, old)) = slot.by_id.get_mut(&webhook.id) else {
            return false;
        };
        slot.by_route.remove(&(old.url.clone(), old.method));
        slot.by_route
            .insert((webhook.url.clone(), webhook.method), webhook.id);
        *old = webhook;
        true
    }

    /// Removes webhook `id` of `account`; whether it existed.
    pub(crate) fn remove(&mut self, account: &str, id: Uuid) -> bool {
        let Some(slot) = self.accounts.get_mut(account) else {
            return false;
        };
        let Some((seq, old)) = slot.by_id.remove(&id) else {
            return false;
        };
        slot.ordered.remove(&seq);
        slot.by_route.remove(&(old.url, old.method));
        self.accounts_by_id.remove(&id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::webhook;

    #[test]
    fn the_route_index_follows_updates_and_deletes() {
        let mut memory = Memory::default();
        let mut first = webhook("https://a.com");
        let id = first.id;
        memory.insert("a", 0, first.clone());
        assert_eq!(
            memory.route("a", "https://a.com", CallbackMethod::Post),
            Some(id)
        );
        assert_eq!(
            memory.route("b", "https://a.com", CallbackMethod::Post),
            None
        );
        first.url = "https://b.com".to_owned();
        assert!(memory.replace("a", first));
        assert_eq!(
            memory.route("a", "https://a.com", CallbackMethod::Post),
            None
        );
        assert_eq!(
            memory.route("a", "https://b.com", CallbackMethod::Post),
            Some(id)
        );
        assert!(memory.remove("a", id) && !memory.remove("a", id));
        assert_eq!(
            memory.route("a", "https://b.com", CallbackMethod::Post),
            None
        );
        assert_eq!(memory.len(), 0);
    }

    #[test]
    fn pages_keep_creation_order_after_an_update() {
        let mut memory = Memory::default();
        let hooks: Vec<_> = (0..5)
            .map(|i| webhook(&format!("https://{i}.com")))
            .collect();
        for (seq, hook) in hooks.iter().enumerate() {
            memory.insert("a", seq as u64, hook.clone());
        }
        let mut changed = hooks[1].clone();
        changed.url = "https://changed.com".to_owned();
        memory.replace("a", changed);
        let page: Vec<Uuid> = memory.page("a", 1, 2).iter().map(|w| w.id).collect();
        assert_eq!(page, [hooks[1].id, hooks[2].id]);
        assert_eq!(memory.next_seq(), 5);
    }
}
