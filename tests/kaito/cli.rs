//! The real executable on copies of samples/.
