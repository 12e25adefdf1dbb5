/**
 * The story prompts the trainer sends to teachers: exactly 10 per genre, 250 in all, each one or
 * two sentences asking for a piece that fits its genre. Ids (`fantasy-03`, `science-fiction-10`)
 * are the genre's slug plus the 1-based position, and are stored with every example — so keep
 * each id's story: polish wording if you must, but never reorder prompts or swap in a new story.
 */
import { GENRES, type Genre } from './genres.ts';

export interface StoryPrompt {
  /** `<genre slug>-<2-digit 1-based index>`, e.g. `fairy-tale-07`. */
  id: string;
  genre: Genre;
  text: string;
}

export const PROMPTS_PER_GENRE = 10;

/** A tuple type, so a genre with 9 or 11 prompts fails to compile rather than at test time. */
type Ten<T> = readonly [T, T, T, T, T, T, T, T, T, T];

const TEXTS: Record<Genre, Ten<string>> = {
  Adventure: [
    "Write a story about a cartographer's apprentice who learns that the blank corner of her master's last map marks a valley that drifts a mile east every night.",
    'Write about a retired ferry pilot who agrees to take three strangers across a flooded delta in a boat held together with wire and stubbornness.',
    "Write about two siblings who follow their late grandmother's handwritten clues through the salt caves beneath their seaside town, racing the rising tide.",
    'Write about a mountain guide leading a wealthy client toward a summit she swore never to climb again, when the weather turns on the narrowest ledge.',
    'Write a story about a teenage stowaway on a cargo airship who must land it alone after the crew bails out over an uncharted desert.',
    "Write a story in which a diver hunting for her father's compass in a sunken trading ship finds the hold freshly emptied and bootprints in the silt.",
    'Write about a dog-sled mail carrier who must cross a frozen lake before the spring thaw, with a feverish child wrapped among the parcels.',
    'Write about two rival treasure hunters who wake chained together on a drifting raft, with one map between them and no memory of how they got there.',
    "Write a story about a harbour pilot's daughter who rows into a storm to reach a ship whose signal lamp is flashing her missing brother's name in Morse.",
    'Write about a botanist who trades her last compass for a canoe and follows a river that appears on no map, chasing a flower said to bloom once a century.',
  ],
  Biography: [
    "Write a short biography of a small-town piano tuner who, over fifty years, tuned every instrument in the county and kept a ledger of each family's songs.",
    'Tell the life story of a woman who ran the only diner on a desert highway from 1952 to 2004, pieced together from the memories of the truckers she fed.',
    'Write a biographical sketch of a forgotten inventor whose folding-umbrella patent was stolen, following him from his first workshop to his final letter.',
    "Write the life story of a circus strongman who became a children's librarian, tracing the single decision that turned one life into the other.",
    'Write a biography of a midwife who delivered over three thousand babies in a mountain village, told through the milestones of her own long life.',
    'Chronicle the life of a chess prodigy who quit at nineteen, became a beekeeper, and returned to the board only once, at seventy, for a single game.',
    'Write the life story of a ship\'s cook who sailed under eleven flags, reconstructed from the recipes he scribbled in the margins of his logbooks.',
    'Write a biography of a woman who taught herself astronomy by candlelight and discovered a comet that was credited to someone else for forty years.',
    'Tell the life of a village postman who delivered letters on foot for four decades and never opened a single one, except once, on his last day.',
    "Write a biographical portrait of a stage magician's assistant who knew how every trick was done and outlived everyone who could have told her secret.",
  ],
  Comedy: [
    "Write a comedy about a best man whose wedding speech gets swapped with his grocery list, and who decides to read it aloud anyway with total conviction.",
    "Write a comedy in which a grumpy wizard's spell to silence his neighbour's rooster misfires, and now every animal in the village speaks only in bad puns.",
    "Write a story about an office whose new smart coffee machine develops strong, unsolicited opinions about everyone's career choices.",
    'Write a comedy about two elderly sisters who enter a cutthroat hot-air-balloon race purely to spite the man who jilted them both in 1968.',
    'Write a comedy about a substitute teacher who discovers on her first morning that her class is made up of very polite, very confused ghosts.',
    "Write about a man who wanders into a cult's weekend retreat believing it is a pottery class, and is far too polite to leave.",
    'Write a comedy in which a family holds an elaborate funeral for a goldfish that turns out, halfway through the eulogy, to be perfectly alive.',
    'Write a comedy about a mediocre knight mistaken for a legendary dragonslayer, who must bluff his way through a feast thrown in his honour.',
    'Write a story about a group chat of retired superheroes bickering over who gets custody of their shared villain-detecting barbecue grill.',
    'Write a comedy about a food critic who loses his sense of taste the night before reviewing the most important restaurant of his career.',
  ],
  Contemporary: [
    'Write a story about a driving instructor who slowly realises that her nervous new student is the son she gave up for adoption twenty years ago.',
    'Write about two roommates who communicate only through passive-aggressive sticky notes until a blizzard snows them in together for a whole weekend.',
    'Write about a high-school janitor who has been quietly solving the calculus problems left on the classroom whiteboards every night for a year.',
    'Write a story set in a laundromat at 2 a.m., where three strangers wait for their dryers and one of them is about to make a life-changing phone call.',
    "Write about a woman clearing out her late father's flat who finds a drawer of unsent letters, all addressed to her, in his careful handwriting.",
    "Write a story about a teenage barista who livestreams her shifts and accidentally broadcasts a regular customer's marriage proposal going badly wrong.",
    "Write about a man who moves back to his hometown to run the family's failing hardware shop just as a big-box chain opens across the street.",
    "Write a story about two neighbours in a high-rise who become friends by shouting answers to each other's crossword clues across their balconies.",
    "Write about a nurse at the end of a double shift who finds a lost child's drawing in the hospital lift and sets out to return it before going home.",
    'Write a story about a family group chat that erupts when Grandma announces, without warning, that she has sold the house and bought a camper van.',
  ],
  Crime: [
    'Write a crime story about a forger of rare stamps who is hired to authenticate one of his own fakes, which is now evidence in a murder case.',
    'Write about a night-shift pharmacist who notices the same customer filling the same prescription at four different branches in one week.',
    'Write about a getaway driver on her last job who realises the crew has planned a three-way split of the money, and there are four of them.',
    'Write a crime story set in a seaside town where the fishing fleet has been quietly smuggling something far more valuable than its catch.',
    "Write a story in which a pawnbroker recognises the engagement ring a nervous young man tries to sell: it was buried with the pawnbroker's mother.",
    'Write about a retired detective who gets a birthday card every year from the killer she never caught, and this year it arrives hand-delivered.',
    "Write a crime story about a gallery cleaner who realises the museum's star painting was swapped for a forgery during her own night shift.",
    'Write about two brothers who run a struggling car wash and agree, just once, to launder money for the man they grew up being afraid of.',
    'Write a crime story set around a poker game in the back room of a restaurant, where every player is lying about where they were last Tuesday.',
    "Write about a court stenographer who notices that a key witness's testimony matches, word for word, a statement from a trial ten years earlier.",
  ],
  Drama: [
    "Write a drama about three adult siblings dividing their mother's belongings in their childhood home, who find she left one item to a stranger.",
    'Write about a once-famous actor directing a small-town production of King Lear, with his estranged daughter cast as Cordelia.',
    "Write a story about a couple married for forty years who sit in their parked car outside the divorce lawyer's office, unable to go in.",
    'Write a drama about a young doctor who must tell a family about the diagnosis she got wrong, on the same day she learns she is pregnant.',
    'Write about a factory town on the day the plant closes for good, centred on the foreman who has to switch off the machines one by one.',
    'Write a story about a former boxer who takes in his troubled teenage nephew and must decide whether to teach him how to fight.',
    'Write a drama set beside a hospital vending machine, where two strangers awaiting opposite kinds of news share the last bag of crisps.',
    'Write about a piano teacher whose most gifted pupil wants to quit the week before the competition that could change both their lives.',
    'Write a drama about a father and son driving across the country to scatter ashes, who argue about everything except the person in the urn.',
    'Write about a woman who returns to the village she fled at eighteen to care for the mother who never forgave her for leaving.',
  ],
  Dystopian: [
    'Write a dystopian story set in a city where citizens are rationed a hundred words a day, and a girl has saved hers for a year to say one thing.',
    'Write about an unlicensed dreamer in a future where sleep is taxed by the hour, who runs a black-market nap house beneath a train station.',
    "Write about a clerk at the Ministry of Memory whose job is deleting inconvenient photographs, until she finds one of herself she doesn't remember.",
    'Write a dystopian story in which every citizen has a happiness score floating above their head, and one man watches his start to fall for no reason.',
    'Write about the last librarian in a country where books are legal but reading aloud is a crime, on the night a child begs her for a bedtime story.',
    'Write a story set in a walled city where rain is rationed by district, and a boy from the dry quarter steals a cloud.',
    "Write about a girl in a society where an algorithm assigns everyone's lifelong job at twelve, and hers comes back listed as None.",
    'Write a dystopian story about a family that wins the national lottery prize of one extra year of life, and must choose which of them receives it.',
    "Write about a maintenance worker in a sealed arcology who finds a hatch marked OUTSIDE, which the official histories insist cannot exist.",
    'Write a story set in a nation where all music is composed by the state, and an old woman keeps humming a tune that was never registered.',
  ],
  Epic: [
    'Write an epic tale of a shepherd-queen who unites seven warring river clans by walking the length of the great river alone, carrying a single torch.',
    'Write an epic about a fleet that sails to the edge of the world to return a stolen star to the sky, and the captain who must choose who stays behind.',
    "Write an epic of a blacksmith who forges a sword for every generation of his city's kings and lives long enough to see the last one break.",
    'Write the epic of two brothers on opposite sides of a hundred-year war, whose armies finally meet on the frozen lake where they were born.',
    'Write an epic about a wandering bard who must recite the entire history of her people before dawn, or the gods will let it be forgotten.',
    "Write an epic journey of a young warrior sent into the underworld to bargain for the harvest, carrying only a clay bowl and her grandmother's name.",
    'Write an epic tale of the siege of a mountain city that lasts nine winters, seen through the great gate that watches both armies grow old.',
    'Write the epic of a horse-lord who loses his kingdom in a single night and spends his life building a new one from those who fled with him.',
    'Write an epic about a giant who sleeps beneath an archipelago, and the islanders who must decide whether to wake him to fight an invading fleet.',
    'Write an epic of a queen who trades her shadow to a sea-god for victory, then rules for forty years unable to cast one.',
  ],
  'Fairy Tale': [
    "Write a fairy tale about a miller's youngest daughter who is offered three wishes by a wolf, on the condition that she wishes for nothing for herself.",
    'Write a fairy tale in which a king decrees that whoever makes his silent daughter laugh may marry her, and a goose girl takes up the challenge.',
    "Write a fairy tale about a cobbler who makes shoes so fine that whoever wears them cannot stop walking toward their heart's desire.",
    "Write a fairy tale about a woodcutter's daughter who learns that every tree in the wood was once a prince, and must free one before the first frost.",
    'Write a fairy tale about a baker who leaves a loaf on the windowsill for the moon each night, until one night the moon comes down to collect it.',
    'Write a fairy tale in which a clever girl gets past the troll who guards the only bridge by offering him riddles that have no answers.',
    'Write a fairy tale about seven swans that land on a frozen pond each winter, and the old woman who knits them seven coats of nettle wool.',
    'Write a fairy tale of a prince cursed to speak only in lies, and the honest servant girl who learns to hear the truth hidden inside them.',
    'Write a fairy tale about a glass mountain that grows one step taller for every unkind word spoken in the kingdom below it.',
    'Write a fairy tale about a poor tailor who sews a coat from the night sky, and the jealous queen who orders him to make her one from the day.',
  ],
  Fantasy: [
    'Write a fantasy story about a dragon who hoards not gold but apologies, and the disgraced knight who arrives to take one back.',
    'Write about a mapmaker in a city whose streets rearrange themselves each full moon, hired to chart a house no one has ever found twice.',
    'Write a fantasy story about a young witch whose familiar is a grumpy old teapot that refuses to pour for anyone it dislikes.',
    "Write about an apprentice to the royal dream-weaver who accidentally stitches a nightmare into the king's sleep on the eve of a war council.",
    'Write a fantasy story set in a kingdom where magic is paid for in memories, and a healer has begun to forget her own name.',
    "Write about a bridge troll who opens a free inn for travellers and must defend it from the monster-hunters' guild.",
    'Write a fantasy story about a girl who can hear swords sing, and the cursed blade in the royal armoury that has started singing to her.',
    'Write about a library of bottled storms kept by a blind archivist, and the thief who breaks in one night to steal a hurricane.',
    'Write a fantasy story about the last two students of a closing school of elemental magic, one of fire and one of frost, forced to share a final exam.',
    'Write about a travelling merchant who sells the shadows of extinct creatures, and the child who buys the shadow of a dragon for one copper coin.',
  ],
  'Historical Fiction': [
    'Write historical fiction about a typist at Bletchley Park in 1942 who notices a pattern in a German weather report that no one else has seen.',
    'Write a story set in London in 1666 about a baker\'s apprentice on Pudding Lane on the night the Great Fire begins.',
    'Write historical fiction about a woman who disguises herself as a man to work on the building of the Brooklyn Bridge in 1877.',
    'Write a story set on the Silk Road in the 13th century, following a young interpreter who must translate a peace treaty she knows is a trap.',
    "Write historical fiction about a lighthouse keeper's wife on the coast of Maine in 1898, keeping the lamp lit through a blizzard after her husband falls ill.",
    "Write a story set in Edo-period Japan about a woodblock printer whose newest print secretly mocks the shogun, on the day the inspectors arrive.",
    'Write historical fiction about a family in the Dust Bowl of 1935 deciding whether to stay on their land or join the road west to California.',
    'Write a story set in ancient Alexandria about a young copyist in the great library who smuggles out a single scroll as the city burns.',
    'Write historical fiction about a telephone switchboard operator in San Francisco in 1906, connecting calls in the hours after the great earthquake.',
    "Write a story set in Renaissance Florence about a pigment grinder in a famous painter's workshop who discovers the master can no longer see colour.",
  ],
  Horror: [
    'Write a horror story about a family that moves into a house where every mirror shows the room as it will be a few seconds from now.',
    'Write about a night-shift security guard at a closed wax museum who notices that one of the figures has moved closer to his desk each night.',
    'Write a horror story set in a village where everyone leaves a plate of food at the edge of the woods on the first of each month, and a newcomer refuses.',
    'Write about a babysitter who gets texts from the parents asking why she let a stranger into the house, though she is alone with the children.',
    'Write a horror story about a deep-sea research station that receives a distress call from its own crew, timestamped three days from now.',
    'Write about a man who buys an antique music box at an estate sale and wakes each night to find it playing in a different room.',
    'Write a horror story about a school photograph in which, every year, the back row holds one more child than ever attended the school.',
    'Write about a hiker who finds a trail of neatly folded clothes leading deeper into the forest, each set a little smaller than the last.',
    'Write a horror story about a small-town radio DJ whose late-night call-in show starts getting calls from listeners who died decades ago.',
    'Write about a woman who realises that her twin sister, who came home after a week lost in the caves, no longer blinks.',
  ],
  'Literary Fiction': [
    'Write a literary story about an ageing translator working on the last book of a novelist she once loved, who wrote her into it without asking.',
    'Write about a man who has visited the same museum painting every Sunday for thirty years, and the Sunday it is taken away for restoration.',
    'Write a literary story about a widow who learns to swim at seventy-two, in the public pool where her husband proposed to her.',
    'Write about two strangers who share a hospital room for one night, one about to become a father and the other about to lose his own.',
    "Write a literary story about a woman who inherits her father's globe, on which he marked every place he lied about having visited.",
    "Write about a woman who spends a summer restoring her grandmother's overgrown garden and slowly uncovers the life her grandmother never spoke of.",
    'Write a literary story set during a night-long power cut in an apartment block, tracing how each household fills the unexpected silence.',
    "Write about a bookbinder repairing a stranger's childhood diary who becomes quietly obsessed with the girl who wrote it.",
    'Write a literary story about a ferry crossing on which a father tries, and fails, to tell his adult son something he has rehearsed for years.',
    "Write about an interpreter at a dying man's bedside who must decide whether to translate his final confession faithfully to his waiting family.",
  ],
  Memoir: [
    'Write a first-person memoir about the summer the narrator learned to ride a bike, and who was running behind when they finally pedalled alone.',
    'Write a memoir in the first person about the kitchen of a childhood home, built around one dish that no one in the family can cook quite right anymore.',
    'Write a first-person memoir of a first night in a new country, from the smell of the airport to the unfamiliar sound of rain on the window.',
    'Write a memoir in the first person about a last conversation with a grandparent, and the one question the narrator never got to ask.',
    'Write a first-person memoir about a part-time job at sixteen in a cinema, a chip shop or a car wash, and the coworker who changed everything.',
    'Write a first-person memoir piece about a friendship that ended without an argument, and the moment the narrator realised it was over.',
    "Write a first-person memoir about learning a parent's native language as an adult, and the first joke in it the narrator finally understood.",
    "Write a memoir in the first person about a hospital waiting room, a vending-machine coffee and the longest night of the narrator's life.",
    'Write a first-person memoir about a childhood dog that ran away, and the years the narrator spent believing it would find its way home.',
    'Write a first-person memoir about moving out of the family home, told through the objects that did and did not fit in the car.',
  ],
  Mystery: [
    'Write a mystery in which a village baker is found locked inside her own walk-in freezer, though the only footprints in the spilled flour lead out.',
    "Write a mystery about a crossword setter who finds a confession hidden in the answers of a puzzle published under her name that she didn't write.",
    'Write about a museum night guard who finds that an ancient coin in the display has been replaced with a replica stamped with next year\'s date.',
    'Write a mystery set on an overnight sleeper train where a passenger vanishes between two stations, leaving her shoes neatly outside her compartment.',
    'Write about an amateur birdwatcher who spots a man burying something in the marsh at dawn through her binoculars, and he turns and waves at her.',
    'Write a mystery about a retired schoolteacher who realises that every obituary in the local paper this month was written before the person died.',
    'Write a mystery set at a country-house auction where the star lot, a famous diamond, turns out to be glass, and the auctioneer already knew.',
    "Write about a locksmith called to open a safe in a dead man's house who finds inside it only a key to her own front door.",
    "Write a mystery in which the regulars of a village pub quiz start disappearing one by one, in reverse order of last week's scores.",
    'Write a mystery about a theft on a tidal island cut off by the sea for twelve hours, where each of the five residents has a perfect alibi.',
  ],
  Mythology: [
    'Write a myth about how fire was first stolen from the sky, not by a god or a hero, but by a small, overlooked bird who paid dearly for it.',
    'Write a myth explaining why the sea is salty, centred on a grieving goddess and the island she wept for.',
    'Write a myth in which a minor god of lost things must track down what the king of the gods has misplaced: his own name.',
    "Write a myth about the trickster who bargained with Death for one more day for humankind, and why no one knows which day it was.",
    'Write a retelling of the Orpheus myth in which Eurydice, not Orpheus, decides whether she will follow him out of the underworld.',
    'Write a myth about the first weaver, who wove the night sky from her own hair, and the jealous sun who tried to unravel it.',
    'Write a myth explaining why owls hunt at night, involving a wager between the sun and the moon and one very clever owl.',
    'Write a myth in which the Norse trickster Loki is stripped of his powers and must win back his place among the gods using nothing but words.',
    'Write a creation myth for a people who believe the world was sung into being, and the single note that was sung wrong.',
    'Write a myth about a river spirit who falls in love with a mortal ferryman and must decide whether to flood the valley to keep him.',
  ],
  Paranormal: [
    'Write a paranormal story about a medium who fakes her séances for a living, until a real ghost turns up and demands she deliver a message.',
    "Write about a teenager who inherits her grandmother's ability to see the dead, and finds that they all keep asking her for the same favour.",
    'Write a paranormal story about a ghost-tour guide who realises one of tonight\'s tourists died in the very house they are standing in front of.',
    'Write about a hotel night clerk who keeps taking phone bookings for room 13, a room that was bricked up in 1923.',
    "Write a paranormal story about a widower whose smart speaker starts answering in his late wife's voice, and knows things it shouldn't.",
    'Write about a small-town vet whose newest patient is a black dog that appears in everyone\'s photographs but never in person.',
    'Write a paranormal story about a poltergeist who has haunted one family for four generations and is determined to stop the youngest moving out.',
    'Write about a psychic who sees exactly how everyone she touches will die, until she shakes the hand of someone who never will.',
    'Write a paranormal story about two ghost hunters filming an abandoned asylum for their channel, who find next week\'s footage on their camera.',
    'Write about a woman who wakes each morning with mud on her boots and a name written on her palm, always of someone about to go missing.',
  ],
  Poetry: [
    'Write a poem about the last lit kitchen window on a street at night, and whoever is still awake beneath it.',
    'Write a poem addressed to a city bus that has carried the same passengers along the same route for twenty years.',
    "Write a poem about a grandmother's hands kneading bread, in which each stanza moves one decade further back in time.",
    'Write a poem about the sea as seen by someone who has lived inland all their life and is standing on the shore for the first time.',
    'Write a poem about the silence in a house on the morning after a long-running argument has finally ended.',
    'Write a poem about a migrating bird crossing a border it cannot see, and the people on either side who watch it pass.',
    "Write a poem in the voice of an old oak listing everything it has outlived, from wolves and wars to a lost child's shoe.",
    'Write a poem about a hospital corridor at 4 a.m., the hum of the machines and the small kindnesses of the night staff.',
    'Write a poem about the first snow of winter falling on a city that has forgotten how to be quiet.',
    'Write a poem about two old friends meeting again after thirty years, and everything neither of them says out loud.',
  ],
  Romance: [
    'Write a romance about two rival florists on the same street who are hired, by mistake, to do the flowers for the same wedding.',
    'Write a love story between a night-shift radio host and the anonymous caller who phones every Thursday at 3 a.m. to request the same song.',
    'Write a romance about an interpreter and a chess champion who fall for each other through deliberately mistranslated trash talk at a world tournament.',
    'Write a love story about two strangers who keep meeting at the same airport gate, on the same delayed flight, on the same day every year.',
    'Write a romance about a lighthouse keeper and the meteorologist sent to decommission the lighthouse at the end of the summer.',
    'Write a love story about a couple who met at a dance hall in 1962 and return for their fiftieth anniversary to find it being demolished.',
    'Write a romance about a baker who leaves a pastry for the grumpy bookseller across the street every morning, signed only with a question.',
    "Write a love story about two strangers stuck in a lift for four hours during a city-wide blackout on New Year's Eve.",
    "Write a romance about a wedding planner hired to organise her ex's wedding, and the groom's sister who keeps getting in her way.",
    'Write a love story about two strangers who borrow the same library book in turn and start leaving each other notes in its margins.',
  ],
  'Science Fiction': [
    "Write a science fiction story about a generation ship's gardener who discovers that the ship reached its destination two hundred years ago.",
    'Write about a linguist on the first human ship to meet an alien species that communicates entirely through arrangements of silence.',
    'Write a science fiction story about a repair robot on an abandoned Mars colony that keeps fixing everything while it waits for the colonists to return.',
    "Write about a woman who gets a message from herself, sent two minutes back in time, that says only: don't answer the door.",
    'Write a science fiction story set on a tidally locked planet, following a courier who travels the ring of twilight between endless day and night.',
    'Write about an AI negotiator brokering peace between two human colonies, who realises it has begun to care which side wins.',
    'Write a science fiction story about a memory-editing clinic where a man pays to forget his divorce and keeps meeting his ex-wife as a stranger.',
    'Write about the crew of an asteroid-mining rig who find a perfectly smooth metal sphere inside a rock that has drifted for four billion years.',
    "Write a science fiction story about a city where everyone's shadow is a digital assistant, and a boy whose shadow has started lying to him.",
    'Write about the last person on Earth who remembers how to read, teaching a room of curious robots in a flooded library.',
  ],
  'Short Story': [
    'Write a short story about a man who finds a wallet on a train and decides to return it in person, to an address that leads somewhere unexpected.',
    'Write a short story about a girl selling lemonade on a road where no car has passed in three days, and the one that finally stops.',
    "Write a short story set in a barbershop in the last hour before closing, when a regular asks for a haircut he's never had before.",
    'Write a short story about a woman who finds her own handwriting on a note tucked inside a second-hand book she has never owned.',
    'Write a short story about the first day of a new traffic warden in a town where everyone is related to everyone else.',
    "Write a short story about a boy who trains his grandfather's old racing pigeon to carry a message to a girl three streets away.",
    'Write a short story about a family dinner where the phone rings in the middle of grace with a wrong number, and the youngest daughter answers.',
    'Write a short story about a piano left on a city pavement overnight, and the five strangers who play it before the rubbish lorry arrives.',
    'Write a short story about the owner of the last video rental shop in the country, on the night her final customer returns a tape.',
    "Write a short story about a boy who loses a tooth on moving day and worries the tooth fairy won't find the new address.",
  ],
  Thriller: [
    "Write a thriller about an air traffic controller who hears her kidnapped husband's voice on a flight's radio channel, giving her instructions.",
    'Write a thriller in which a hotel cleaner finds a laptop left open in a guest room, running a countdown that ends at noon.',
    'Write about an interpreter at a peace summit who realises the delegate she is translating for is an impostor, with forty minutes of the session left.',
    'Write a thriller about a bike courier carrying a package that four different people would kill for, addressed to a grave in the city cemetery.',
    'Write about a whistleblower hiding in an out-of-season ski resort who sees the same red car pass the chalet three times in one afternoon.',
    "Write a thriller set on a night train from Vienna to Venice, where a woman realises the man in her compartment is wearing her dead brother's watch.",
    "Write about a bank teller who is handed a note by a customer that reads: don't look up, act normal, they are watching you, not me.",
    'Write a thriller about an undersea-cable engineer who discovers someone is tapping the line she maintains, and that her dive partner knew.',
    "Write about a juror in a high-profile trial who receives a photograph of her daughter's school with the verdict she is expected to deliver.",
    'Write a thriller about a burglar who breaks into a smart home to steal a crypto wallet and finds that someone else is already inside.',
  ],
  'Urban Fantasy': [
    'Write an urban fantasy story about a subway conductor who runs the last train of the night for passengers who are not entirely human.',
    'Write about a pawn shop in modern Chicago that trades in curses, and the teenager who wants to sell one she never knew she had.',
    "Write an urban fantasy story about a food-truck chef whose tacos are the only thing keeping the city's goblins from rioting.",
    'Write about a social worker whose caseload is fae children left in human families, and the one child who refuses to be taken back.',
    'Write an urban fantasy story about a London cabbie who knows the secret streets that exist only between midnight and one.',
    'Write about a witch who runs a 24-hour laundromat where people wash out their bad luck, on the night someone brings a stain that will not lift.',
    'Write an urban fantasy story about a detective who interviews pigeons, and the pigeon who witnessed a murder but will not talk without bread.',
    'Write about a vampire working nights as a hospital phlebotomist who notices that someone on staff is stealing blood for something worse.',
    'Write an urban fantasy story about graffiti artists whose murals come alive at night, and the rival crew who paint a monster on purpose.',
    'Write about a rideshare driver who gets a five-star rating from a god, and the growing queue of deities requesting her car.',
  ],
  Western: [
    "Write a western about a schoolteacher who arrives in a lawless mining town and finds the last teacher's loaded pistol in her desk drawer.",
    'Write a western about an ageing bounty hunter who realises the outlaw he has tracked for three hundred miles is his own grown daughter.',
    'Write a western about a cattle drive that takes a wrong turn into the desert, and the camp cook who turns out to be the only one who knows the way to water.',
    'Write about a Chinese railroad worker in 1869 Nevada who stands up to the foreman after a tunnel collapse, with the whole camp watching.',
    'Write a western about a frontier doctor who must remove a bullet from the man who killed her husband while his gang waits outside.',
    'Write a western about two old gunslingers who meet in a small-town saloon to finish a duel they walked away from forty years ago.',
    'Write about a Pony Express rider carrying a single letter that could start or stop a range war, pursued across a blizzard-swept pass.',
    'Write a western about a widow who refuses to sell her homestead to a railroad baron, armed with a shotgun and a very patient mule.',
    "Write a western set in a ghost town where a lone stranger finds the saloon's piano still playing and a fresh hand of cards dealt on the table.",
    'Write about a young sheriff elected by mistake who must keep the peace on the day a notorious gang rides in for the annual horse fair.',
  ],
  'Young Adult': [
    'Write a young adult story about a sixteen-year-old who secretly writes the school\'s anonymous advice column, and gets a letter from her best friend.',
    'Write about a teenager spending the summer working at a run-down mini-golf course, trying to save it from closing before September.',
    'Write a young adult story about three friends who sneak into a closed water park on the night before it is demolished.',
    'Write about a shy seventeen-year-old who enters a slam poetry contest, only to discover that her older brother is competing too.',
    'Write a young adult story about a boy who must choose between a football scholarship and the robotics team that is going to nationals.',
    "Write about a teenage girl whose family's new house came with a previous owner's time capsule, addressed to someone exactly her age.",
    'Write a young adult story about two rivals forced to share a tent on a school wilderness trip after the rest of the class goes home sick.',
    'Write about a teenager interpreting for her immigrant parents at the meeting that will decide whether they keep their restaurant.',
    'Write a young adult story set in the last week of senior year, when a student finds the yearbook has been printed without her photo.',
    "Write about a teenage drummer whose band gets one shot at a battle of the bands on the same night as her grandmother's eightieth birthday.",
  ],
};

/** `Fairy Tale` → `fairy-tale`. */
export function genreSlug(genre: Genre): string {
  return genre
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export const PROMPTS: readonly StoryPrompt[] = Object.freeze(
  GENRES.flatMap((genre) =>
    TEXTS[genre].map((text, i) =>
      Object.freeze({ id: `${genreSlug(genre)}-${String(i + 1).padStart(2, '0')}`, genre, text }),
    ),
  ),
);

const byGenre = new Map<Genre, readonly StoryPrompt[]>(
  GENRES.map((genre) => [genre, Object.freeze(PROMPTS.filter((p) => p.genre === genre))]),
);
const byId = new Map(PROMPTS.map((p) => [p.id, p]));

/** The genre's 10 prompts, in id order. */
export function promptsFor(genre: Genre): readonly StoryPrompt[] {
  return byGenre.get(genre) ?? [];
}

export function promptById(id: string): StoryPrompt | undefined {
  return byId.get(id);
}
