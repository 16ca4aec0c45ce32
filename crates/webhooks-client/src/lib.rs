//! Low-level client for the MessageMedia Webhooks Management API (generated).
