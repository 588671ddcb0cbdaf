//! Multivariate NumpyOps.
