# In [1]:
import nnctl

run = nnctl.train("configs/moons.yaml")

# In [2]:
run.plot("boundary")
