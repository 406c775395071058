"""Multi-compartment neurons: cells from morphologies, the cable equation on a tree, NEURON-
compatible discretisation and time stepping."""

from .assemble import Assembled as Assembled
from .assemble import assemble as assemble
from .cell import Cell as Cell
from .cell import Location as Location
from .discretize import Nodes as Nodes
from .discretize import d_lambda as d_lambda
from .discretize import discretize as discretize
from .discretize import fixed as fixed
from .discretize import max_length as max_length
from .point import IClamp as IClamp
from .point import SEClamp as SEClamp
from .point import SpikeDetector as SpikeDetector
from .point import SynapticInput as SynapticInput
from .simulate import CellSimulator as CellSimulator
from .simulate import build as build
from .simulate import simulate_cell as simulate_cell
from .solver import hines_solve as hines_solve

__all__ = ["Assembled", "Cell", "CellSimulator", "IClamp", "Location", "Nodes", "SEClamp",
           "SpikeDetector", "SynapticInput", "assemble", "build", "d_lambda", "discretize", "fixed",
           "hines_solve", "max_length", "simulate_cell"]
