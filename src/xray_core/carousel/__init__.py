"""The carousel: confirmed x-rays on the big screen, newest first."""
