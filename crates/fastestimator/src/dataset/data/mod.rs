//! Ready-made datasets (FE's `fe.dataset.data`).
