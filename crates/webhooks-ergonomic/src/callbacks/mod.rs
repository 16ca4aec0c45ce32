//! The receiving side: what MessageMedia sends to your URL.
