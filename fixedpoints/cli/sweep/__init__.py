"""The machinery of ``fixedpoints sweep``: grids (:mod:`.grid`), the output folder
(:mod:`.store`) and running grid points on Dask (:mod:`.runner`)."""
