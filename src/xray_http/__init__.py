"""The HTTP edge of Teddy X-Ray (Litestar) and its composition root."""
