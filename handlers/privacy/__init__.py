"""Privacy: /mydata shows what is stored about a partner, /deletedata erases it."""
