"""The simulator's niche catalogue: 28 niches with their population share, audience profile,
related niches and English phrase banks.

Shares follow the category shares of Kim et al. (WWW 2020, 33,935 Instagram influencers):
fashion 33%, travel 13%, family 12%, food 11.5%, beauty 4.4%, interior 3.7%, fitness 3.1%,
pet 1.7%, other 17%; each category is spread over finer niches here (the ``category`` field
says which). Phrase fields are ``;``-separated strings (cheap to write and to read); use
``phrases.bank(niche)`` to get them as tuples.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NicheSpec:
    """One niche. ``female``: audience female share; ``age_shift``: audience age in buckets
    relative to the platform baseline (+ older, - younger); ``family``: which small
    foreign-language vocabulary (phrases_lang) covers it."""

    name: str
    category: str  # Kim et al. category
    share: float  # percent of creators whose primary niche this is
    female: float
    age_shift: float
    family: str
    emojis: str
    topics: str
    products: str
    activities: str
    feelings: str
    tags: str
    bio: str
    audience: str
    brand_kinds: str
    brief_products: str


# related niches: (a, b, strength in [0, 1]); the affinity matrix is built from these
RELATED: tuple[tuple[str, str, float], ...] = (
    ("fashion", "streetwear", 0.5),
    ("fashion", "menswear", 0.35),
    ("fashion", "jewelry", 0.5),
    ("fashion", "vintage", 0.55),
    ("fashion", "makeup", 0.35),
    ("fashion", "skincare", 0.2),
    ("fashion", "travel", 0.2),
    ("streetwear", "menswear", 0.45),
    ("streetwear", "vintage", 0.35),
    ("streetwear", "gaming", 0.2),
    ("menswear", "jewelry", 0.2),
    ("menswear", "fitness", 0.2),
    ("jewelry", "makeup", 0.25),
    ("jewelry", "vintage", 0.3),
    ("vintage", "sustainability", 0.5),
    ("vintage", "diy", 0.3),
    ("vintage", "home_decor", 0.3),
    ("travel", "hiking", 0.5),
    ("travel", "foodie", 0.45),
    ("hiking", "running", 0.3),
    ("hiking", "cycling", 0.35),
    ("hiking", "sustainability", 0.3),
    ("hiking", "pets", 0.2),
    ("parenting", "baby", 0.6),
    ("parenting", "home_cooking", 0.35),
    ("parenting", "home_decor", 0.25),
    ("parenting", "personal_finance", 0.2),
    ("parenting", "diy", 0.25),
    ("parenting", "books", 0.25),
    ("parenting", "pets", 0.15),
    ("baby", "home_decor", 0.2),
    ("baby", "skincare", 0.15),
    ("home_cooking", "baking", 0.55),
    ("home_cooking", "vegan", 0.45),
    ("home_cooking", "foodie", 0.4),
    ("home_cooking", "gardening", 0.25),
    ("baking", "vegan", 0.25),
    ("baking", "foodie", 0.3),
    ("vegan", "sustainability", 0.5),
    ("vegan", "fitness", 0.3),
    ("vegan", "yoga", 0.3),
    ("vegan", "foodie", 0.3),
    ("vegan", "skincare", 0.15),
    ("skincare", "makeup", 0.6),
    ("skincare", "yoga", 0.2),
    ("skincare", "sustainability", 0.15),
    ("home_decor", "gardening", 0.45),
    ("home_decor", "diy", 0.55),
    ("home_decor", "sustainability", 0.2),
    ("gardening", "sustainability", 0.4),
    ("gardening", "diy", 0.3),
    ("fitness", "running", 0.5),
    ("fitness", "yoga", 0.45),
    ("fitness", "cycling", 0.35),
    ("running", "cycling", 0.5),
    ("running", "yoga", 0.2),
    ("yoga", "sustainability", 0.2),
    ("yoga", "books", 0.15),
    ("cycling", "sustainability", 0.25),
    ("cycling", "tech", 0.15),
    ("pets", "home_decor", 0.1),
    ("tech", "gaming", 0.5),
    ("tech", "personal_finance", 0.4),
    ("tech", "diy", 0.2),
    ("personal_finance", "books", 0.3),
    ("personal_finance", "sustainability", 0.1),
    ("books", "home_decor", 0.15),
)

NICHES: tuple[NicheSpec, ...] = (
    NicheSpec(
        "fashion",
        "fashion",
        13.0,
        0.80,
        0.0,
        "fashion",
        "👗;👠;✨;🛍️;💃;🤍;👜",
        "outfit of the day; spring capsule wardrobe; how to style a slip dress; neutral tones; "
        "trench coat season; what I wore this week; fall layering; linen everything; monochrome looks; "
        "my go-to work outfits; styling one blazer five ways; wardrobe essentials; mixing prints; "
        "the perfect white tee; denim on denim; summer wedding guest looks; quiet luxury vibes; "
        "transitional outfits; closet clean out; colour blocking; street style at fashion week; "
        "trend forecast for the season",
        "wide leg trousers; oversized blazer; silk midi skirt; ballet flats; knit cardigan; linen shirt; "
        "leather tote bag; straight leg jeans; chunky loafers; satin slip dress; wool coat; cropped jacket; "
        "ankle boots; cashmere sweater; bodysuit; mini dress; sunglasses",
        "put together a few looks; tried the tuck trick; went thrifting for basics; restyled last year's coat; "
        "planned my outfits for the trip; did a try-on haul; sorted my closet by colour; found the perfect jeans; "
        "styled a capsule for work; packed a carry-on wardrobe; tested a new trend; paired sneakers with a dress; "
        "wore heels for the first time in months; matched my bag to my shoes; layered three necklaces; "
        "ironed everything for the shoot; shot a lookbook at golden hour; tried colour analysis",
        "obsessed with this fit; feeling so put together; outfit = sorted; this colour though; "
        "main character energy; cannot stop wearing this; 10/10 would wear again; comfy and chic; "
        "it's giving effortless; my favourite look so far",
        "ootd;fashion;outfitinspo;styleinspo;whatiwore;fashionblogger;outfitideas;capsulewardrobe;"
        "minimalstyle;lookoftheday;styletips;fashioninspo;ootdfashion",
        "style notes & everyday outfits; petite styling tips; outfits you can actually wear; "
        "capsule wardrobe nerd; fashion lover from the start; try-ons every friday; "
        "helping you dress with confidence; personal stylist; styling real bodies; "
        "minimalist wardrobe, maximal joy",
        "style-conscious women in their twenties and thirties; people building a capsule wardrobe; "
        "young professionals who want easy workwear; trend followers who shop online; "
        "women who love affordable fashion; shoppers who care about fit",
        "womenswear label; fashion brand; clothing label; apparel brand; online boutique",
        "a linen summer collection; a new line of wide leg trousers; our everyday knitwear range; "
        "a capsule collection of work basics; a recycled denim line; a vegan leather handbag; "
        "our autumn coat collection; a size-inclusive dress range; an occasion wear edit; "
        "a new sunglasses collection",
    ),
    NicheSpec(
        "streetwear",
        "fashion",
        7.0,
        0.35,
        -0.8,
        "fashion",
        "👟;🔥;🧢;💯;🖤;⚡",
        "sneaker rotation; new drop this weekend; limited release; cop or drop; hoodie season; "
        "graphic tees; cargo pants fits; sneaker cleaning; resell prices; retro runners; "
        "streetwear essentials; layering a puffer; skate style; archive pieces; "
        "sneaker unboxing; bape vs supreme debate; chunky sole trend; tonal fits; "
        "my grail pair; vintage band tees",
        "retro high tops; cargo pants; heavyweight hoodie; puffer jacket; bucket hat; crossbody bag; "
        "trucker cap; track jacket; graphic tee; chunky runners; sneaker cleaner kit; tech fleece; "
        "baggy jeans; varsity jacket; beanie; socks with a logo",
        "waited in line for the drop; cleaned my whole rotation; finally copped my grails; "
        "styled the new cargos; hit the outlet for steals; unboxed a mystery pair; "
        "ranked my top five pairs; went to a sneaker con; customised a pair of white sneakers; "
        "lost the raffle again; traded a pair with a friend; did a fit check on the block; "
        "restocked the hoodie drawer; thrifted a vintage jersey; laced them two ways",
        "these go hard; certified heat; fit check passed; no days off; clean af; "
        "cooking with this fit; straight fire; big W today; lowkey obsessed; rotation is stacked",
        "streetwear;sneakers;sneakerhead;fitcheck;kicks;hypebeast;streetstyle;snkrs;"
        "sneakerheads;urbanstyle;outfitgrid;kicksoftheday",
        "sneakerhead since day one; fits, kicks and drops; streetwear daily; cop or drop reviews; "
        "kicks on feet; reselling since 2019; fit checks and sneaker talk; skater & sneaker nerd; "
        "drop calendar every monday; size 10 gang",
        "sneakerheads and hype collectors; gen z guys into streetwear; skaters and city kids; "
        "young men who follow every drop; streetwear fans on a budget",
        "streetwear label; sneaker brand; urban apparel brand; skate brand",
        "a limited sneaker colourway; a heavyweight hoodie drop; a new cargo pant; a retro runner reissue; "
        "a capsule collab with a local artist; a sneaker cleaning kit; a puffer jacket drop; "
        "a graphic tee collection",
    ),
    NicheSpec(
        "menswear",
        "fashion",
        5.0,
        0.20,
        0.4,
        "fashion",
        "👔;🕶️;⌚;🧥;🤵;👞",
        "menswear basics; how a suit should fit; smart casual for the office; grooming routine; "
        "tailoring tips; chelsea boots styling; watch collection; capsule wardrobe for men; "
        "wedding guest suits; oxford shirts; dressing for your body type; layering for winter; "
        "shoe care sunday; beard care; fragrance of the week; minimalist wardrobe for guys; "
        "denim fits explained; linen suits for summer; the perfect chinos",
        "navy suit; oxford shirt; chelsea boots; leather belt; chinos; overshirt; merino knit; "
        "dress watch; suede loafers; pea coat; beard oil; cologne; tie bar; selvedge denim; "
        "derby shoes; polo shirt",
        "got my suit tailored; polished my boots; tried a new fragrance; built a 10 piece capsule; "
        "styled one overshirt three ways; visited a tailor in the city; restocked white tees; "
        "tested budget vs premium chinos; cleaned my watch strap; reorganised the closet; "
        "trimmed the beard for the wedding; broke in new loafers; ironed shirts for the week",
        "sharp as ever; simple but clean; fit is everything; dress for the job you want; "
        "timeless never fails; quality over quantity; looking the part; clean lines only",
        "menswear;mensfashion;mensstyle;gentleman;dapper;menstyle;suitup;mensgrooming;"
        "sartorial;styleformen;menswearblog",
        "helping guys dress better; menswear made simple; suits, shoes & grooming; "
        "dad who likes a good fit; style for the modern man; tailoring enthusiast; "
        "menswear for real budgets; watches & wardrobe",
        "men 25-44 who want to dress better; professionals who need office wear; "
        "guys who care about grooming; men shopping for a wedding suit",
        "menswear label; men's grooming brand; tailoring house; shoe brand",
        "a made-to-measure suit service; a merino essentials range; a beard care kit; "
        "a new chelsea boot; an overshirt collection; a men's fragrance; a minimalist watch",
    ),
    NicheSpec(
        "jewelry",
        "fashion",
        3.5,
        0.85,
        0.2,
        "fashion",
        "💍;✨;💎;🤍;🌙;⭐",
        "layered necklaces; gold hoops; stacking rings; dainty jewelry; birthstone pieces; "
        "ear stack ideas; everyday gold; jewelry storage; pearl trend; demi-fine jewelry; "
        "bridal jewelry; charm bracelets; how to clean silver; minimalist accessories; "
        "statement earrings; personalised necklaces; tarnish-free picks",
        "gold hoop earrings; pearl necklace; signet ring; tennis bracelet; charm necklace; "
        "huggie earrings; stacking rings; anklet; ear cuff; initial pendant; silk scarf; "
        "jewelry box; sterling silver chain",
        "restyled my ear stack; cleaned all my silver; layered four necklaces; "
        "got a new piercing; packed jewelry for a trip; swapped silver for gold; "
        "designed a custom ring; organised my jewelry box; tried the pearl trend; "
        "picked a gift for my sister; tested a tarnish-free necklace in the shower",
        "the little details; sparkle all day; never taking this off; tiny but mighty; "
        "obsessed with gold; every day jewels; the perfect gift",
        "jewelry;jewellery;earstack;goldjewelry;necklacestack;finejewelry;accessories;"
        "dainty;ringstack;jewelryaddict",
        "jewelry lover; stacks & sparkle; accessories make the outfit; gold over silver always; "
        "ear stack queen; small details, big style",
        "women who love everyday jewelry; gift shoppers; brides-to-be; accessory lovers 18-34",
        "jewelry brand; demi-fine jewelry label; accessories brand",
        "a new gold vermeil collection; a pearl capsule; personalised name necklaces; "
        "a stacking ring set; tarnish-free everyday earrings; a bridal jewelry line",
    ),
    NicheSpec(
        "vintage",
        "fashion",
        4.5,
        0.70,
        -0.3,
        "fashion",
        "🧵;♻️;🕰️;🛍️;🌼;📻",
        "thrift haul; secondhand first; vintage finds; charity shop treasures; 70s style; "
        "upcycled denim; depop selling tips; flea market sunday; how to spot real vintage; "
        "mending old clothes; thrift flip; vintage levis; retro homeware finds; "
        "car boot sale; slow fashion; preloved designer; estate sale finds",
        "vintage levis; 90s leather jacket; wool blazer; crochet vest; retro sunglasses; "
        "suede boots; embroidered blouse; vintage scarf; patchwork skirt; old band tee; "
        "sewing machine; thrifted knit",
        "went to three charity shops; flipped a thrifted dress; sold clothes on depop; "
        "hit the flea market early; mended a hole in my favourite jumper; dyed an old shirt; "
        "found a 70s coat for 8 dollars; sorted my resale pile; took in a pair of jeans; "
        "visited a vintage fair; swapped clothes with friends",
        "one person's trash; secondhand and proud; the thrill of the hunt; "
        "preloved is the new new; you won't find this in stores; thrift gods were kind",
        "thrifted;vintage;thrifthaul;secondhand;thriftflip;preloved;depop;vintagestyle;"
        "slowfashion;charityshopfinds;secondhandfirst",
        "thrift queen; secondhand style & flips; vintage seller; preloved everything; "
        "thrifting since forever; slow fashion advocate",
        "thrifters and vintage lovers; gen z shoppers who buy secondhand; "
        "sustainable fashion fans; students on a budget",
        "resale platform; vintage shop; secondhand marketplace; upcycling studio",
        "a resale app launch; a curated vintage drop; an upcycled denim line; "
        "a clothing swap event; a mending kit",
    ),
    NicheSpec(
        "travel",
        "travel",
        8.5,
        0.60,
        0.4,
        "travel",
        "✈️;🌍;🏝️;🧳;🌅;🗺️;📍",
        "weekend in lisbon; hidden beaches; travel on a budget; packing list; best cafes in paris; "
        "road trip itinerary; solo travel tips; island hopping; boutique hotels; airport hacks; "
        "48 hours in rome; bucket list destinations; travel diaries; sunset spots; "
        "local food markets; off the beaten path; long haul flight routine; travel photography; "
        "backpacking southeast asia; city break guide; where to stay in bali",
        "carry-on suitcase; travel pillow; packing cubes; noise cancelling headphones; "
        "travel insurance; rail pass; camera bag; passport holder; travel adapter; "
        "boutique hotel; rooftop bar; overnight train; rental car; city card",
        "landed in tokyo; booked a last minute flight; explored the old town; "
        "took the night train; got lost in the medina; watched the sunrise from the rooftop; "
        "hopped between three islands; found a tiny local restaurant; packed for two weeks in a carry-on; "
        "drove the coastal road; checked into the dreamiest hotel; missed my connection; "
        "spent the day at the market; hiked to the viewpoint; swam in the clearest water",
        "wanderlust is real; take me back; not ready to go home; pinch me; "
        "this view never gets old; already planning the next trip; travel is the best teacher; "
        "heart full, passport fuller",
        "travel;wanderlust;travelgram;instatravel;travelblogger;explore;traveltheworld;"
        "solotravel;travelphotography;passportready;weekendgetaway;bucketlist",
        "exploring one city at a time; travel tips & hidden gems; 40 countries and counting; "
        "full-time traveller; slow travel lover; budget travel hacks; living out of a suitcase; "
        "travel writer & photographer",
        "millennials who travel a few times a year; couples planning a getaway; "
        "solo travellers; budget backpackers; people who love city breaks",
        "travel brand; hotel group; booking app; airline; luggage brand; tourism board",
        "a new boutique hotel opening; a carry-on suitcase; a travel booking app; "
        "a city card for tourists; a new direct flight route; a travel insurance plan; "
        "a rail pass; a packing cube set",
    ),
    NicheSpec(
        "hiking",
        "travel",
        4.5,
        0.45,
        0.3,
        "outdoors",
        "🏔️;🥾;🌲;⛺;🏕️;🌄;🧭",
        "summit views; trail report; hiking gear list; wild camping; thru-hike prep; "
        "national park guide; layering for the mountains; backpacking food; trail running; "
        "leave no trace; alpine lakes; fastpacking; mountain weather; ultralight gear; "
        "camping checklist; hut to hut hikes; winter hiking safety; campfire cooking",
        "hiking boots; trekking poles; rain shell; tent; sleeping bag; headlamp; "
        "water filter; merino base layer; daypack; camping stove; gps watch; trail map; "
        "down jacket; bear canister",
        "hiked 20 km to the ridge; camped by the lake; summited before sunrise; "
        "tested a new tent in the rain; packed my bag for a 3 day trek; "
        "took the scramble route; filtered water from a stream; lit the stove at camp; "
        "got caught in a hailstorm; found a hidden waterfall; did my first solo overnight; "
        "broke in new boots on a short loop",
        "mountains are calling; worth every step; legs are done; peace out there; "
        "happiest on the trail; nature therapy; muddy boots happy heart; the views though",
        "hiking;outdoors;hikingadventures;mountains;camping;naturelovers;trail;backpacking;"
        "getoutside;optoutside;hikingtrails;wildcamping",
        "happiest on a mountain; trail notes & gear reviews; weekend hiker; thru-hiker in training; "
        "camping, hiking, repeat; outdoor guide; lover of wild places",
        "outdoor lovers; weekend hikers; campers and backpackers; people who buy technical gear",
        "outdoor gear brand; hiking boot maker; camping brand; national park pass",
        "a lightweight hiking boot; a two-person tent; a waterproof shell jacket; "
        "a water filter bottle; a merino base layer; a camping stove; a trail daypack",
    ),
    NicheSpec(
        "parenting",
        "family",
        8.5,
        0.85,
        1.0,
        "family",
        "👨‍👩‍👧;💕;🧸;🏡;👶;🍼;🎈",
        "mom life; toddler activities; school lunch ideas; family routines; screen time rules; "
        "bedtime battles; raising kids; rainy day crafts; working mom tips; family holidays; "
        "potty training; sibling rivalry; meal planning for families; back to school; "
        "kids birthday party ideas; gentle parenting; family budget; chore charts",
        "lunch box; kids scooter; car seat; board games; art supplies; family planner; "
        "kids books; water bottles; school backpack; tablet for kids; bunk beds; night light",
        "packed three lunchboxes; survived the school run; built a pillow fort; "
        "did a family movie night; took the kids to the farm; made a chore chart; "
        "planned a birthday party; baked cookies with my daughter; read bedtime stories; "
        "did homework at the kitchen table; went camping with the kids; sorted the toy room",
        "mom guilt is real; chaos but make it cute; tired but happy; my heart is full; "
        "parenting is hard; the days are long; little moments; they grow so fast",
        "momlife;parenting;familytime;motherhood;momsofinstagram;toddlerlife;kidsactivities;"
        "dadlife;familyfun;mumlife;raisingkids",
        "mom of three; dad of two girls; real-life parenting; family adventures; "
        "survival tips for busy parents; working mom & coffee addict; homeschool mama; "
        "raising tiny humans",
        "parents of young kids; busy moms 28-45; families with school-age children; "
        "dads who share the load",
        "family brand; kids products company; toy company; children's clothing label",
        "a kids lunchbox; a family board game; a toddler scooter; a kids clothing line; "
        "a family meal kit; a learning app for kids; a kids water bottle",
    ),
    NicheSpec(
        "baby",
        "family",
        3.5,
        0.90,
        0.6,
        "family",
        "👶;🍼;🤰;💗;🧸;☁️",
        "pregnancy journey; newborn essentials; baby sleep; nursery tour; breastfeeding; "
        "postpartum recovery; baby-led weaning; third trimester; hospital bag; "
        "baby's first year; teething tips; baby registry; bump update; newborn photos",
        "baby carrier; stroller; swaddle; baby monitor; breast pump; changing bag; "
        "nursing bra; cot; bottle warmer; muslin cloths; baby bath; teether",
        "packed my hospital bag; set up the nursery; tried baby-led weaning; "
        "did our first night of sleep training; tested three strollers; "
        "went to a prenatal class; had our gender reveal; counted kicks tonight; "
        "survived the 4 month regression",
        "sleep deprived but in love; tiny toes; bump is growing; newborn bubble; "
        "the best kind of tired; my whole heart",
        "pregnancy;newborn;babyboy;babygirl;babyessentials;bumpdate;newmom;motherhood;"
        "babyshower;postpartum",
        "first time mum; baby on the way; newborn life; mama of a tiny human; "
        "pregnancy diaries; sharing our baby journey",
        "expecting parents; new moms; parents of babies under two",
        "baby brand; nursery brand; maternity brand",
        "a lightweight stroller; a baby carrier; an organic baby skincare line; "
        "a smart baby monitor; a nursing bra collection; a swaddle set",
    ),
    NicheSpec(
        "home_cooking",
        "food",
        3.5,
        0.65,
        0.6,
        "food",
        "🍝;🥘;🍲;🔪;🧄;🍋;🥗",
        "easy weeknight dinners; one pot pasta; meal prep sunday; 20 minute recipes; "
        "family dinner ideas; comfort food; sheet pan dinners; slow cooker recipes; "
        "budget meals; homemade pizza; grandma's recipe; pantry staples; knife skills; "
        "cooking for two; leftovers makeover; soup season",
        "cast iron skillet; chef's knife; dutch oven; air fryer; spice rack; cutting board; "
        "olive oil; stand mixer; rice cooker; food processor; meal prep containers; pasta maker",
        "made pasta from scratch; meal prepped for the week; cooked a three course dinner; "
        "tried a new curry recipe; roasted a whole chicken; tested the air fryer; "
        "made soup with leftovers; grew my own basil; sharpened all my knives; "
        "cooked dinner in 20 minutes; fed six people on a budget",
        "so comforting; dinner is served; simple but so good; my kind of meal; "
        "smells amazing in here; recipe below; you need to try this",
        "homecooking;recipes;easyrecipes;dinnerideas;mealprep;foodie;homemade;cooking;"
        "weeknightdinner;comfortfood;cookingathome",
        "home cook sharing easy recipes; dinner ideas daily; feeding a family of five; "
        "cooking without fuss; recipe developer; real food, real kitchens",
        "home cooks; busy parents who cook weeknight dinners; people who meal prep; "
        "foodies on a budget",
        "cookware brand; meal kit company; kitchen appliance brand; grocery delivery app",
        "a cast iron pan; a meal kit subscription; a new air fryer; a chef's knife set; "
        "a spice blend range; a grocery delivery service; a pasta sauce line",
    ),
    NicheSpec(
        "baking",
        "food",
        2.2,
        0.75,
        0.4,
        "food",
        "🍰;🧁;🥐;🍪;🎂;🍞",
        "sourdough starter; cake decorating; bread baking; cookie recipes; pastry tips; "
        "layer cakes; banana bread; gluten free baking; croissant lamination; cupcake ideas; "
        "baking science; holiday cookies; cheesecake; macarons",
        "stand mixer; piping bags; cake tin; bread proofing basket; kitchen scale; "
        "baking sheets; vanilla extract; silicone mat; rolling pin; sprinkles",
        "fed my sourdough starter; baked three loaves; decorated a birthday cake; "
        "tried laminating dough; piped buttercream roses; made cookies for the neighbours; "
        "tested a gluten free recipe; baked bread at 6 am",
        "butter makes it better; fresh out of the oven; crumb shot; sweet tooth satisfied; "
        "baking is therapy; worth the wait",
        "baking;sourdough;bakingfromscratch;cakedecorating;homebaker;breadbaking;cookies;"
        "bakersofinstagram;cake;pastry",
        "home baker; sourdough obsessed; cakes & cookies; baking from scratch; "
        "self-taught pastry chef",
        "home bakers; people who love baking at weekends; dessert lovers",
        "baking brand; flour mill; bakeware brand",
        "a stand mixer; a premium flour range; a bakeware set; a cake decorating kit",
    ),
    NicheSpec(
        "vegan",
        "food",
        2.3,
        0.70,
        0.0,
        "food",
        "🌱;🥑;🥦;💚;🌿;🥗",
        "plant-based recipes; vegan meal prep; high protein vegan; dairy free desserts; "
        "tofu recipes; vegan on a budget; what I eat in a day; oat milk latte; "
        "vegan protein sources; meatless monday; plant-based swaps; lentil curry; "
        "cruelty free living; veganuary",
        "tofu; tempeh; oat milk; vegan protein powder; nutritional yeast; chickpeas; "
        "plant-based burger; cashew cheese; lentils; vegan chocolate; protein bar",
        "made a tofu scramble; meal prepped lentil curry; tried a new vegan cheese; "
        "baked vegan brownies; went to a vegan food festival; "
        "made oat milk at home; cooked a plant-based roast",
        "plants are power; cruelty free and delicious; eat your greens; "
        "fuel from plants; nobody believes this is vegan",
        "vegan;plantbased;veganfood;vegetarian;whatveganseat;veganrecipes;dairyfree;"
        "plantpower;crueltyfree;meatless",
        "plant-based since 2016; vegan recipes & tips; eating plants and loving it; "
        "plant-powered athlete; vegan foodie",
        "vegans and flexitarians; people cutting down on meat; health-conscious eaters",
        "plant-based food brand; vegan snack company; oat milk brand",
        "a vegan protein bar; an oat milk; a plant-based burger; a vegan cheese range; "
        "a plant protein powder; a dairy free ice cream",
    ),
    NicheSpec(
        "foodie",
        "food",
        3.5,
        0.55,
        0.3,
        "food",
        "🍜;🍣;🍔;☕;🍕;🥐;🌮",
        "best brunch spots; restaurant reviews; street food tour; hidden gems in town; "
        "coffee shop hopping; date night restaurants; tasting menu; food market finds; "
        "ramen ranking; new opening this week; cheap eats; rooftop dining; pizza crawl",
        "flat white; omakase; tasting menu; burger; tacos; ramen; croissant; matcha latte; "
        "cold brew; gelato; dim sum",
        "tried the new ramen place; went on a pizza crawl; booked a tasting menu; "
        "queued an hour for croissants; found the best tacos in the city; "
        "rated every brunch spot on the street; hit the night market",
        "worth the hype; food coma; i'd go back tomorrow; absolutely delicious; "
        "a must try; chef's kiss",
        "foodie;foodporn;eeeeeats;foodstagram;brunch;restaurant;foodblogger;eatlocal;"
        "coffeetime;instafood;foodlover",
        "eating my way through the city; restaurant reviews & food spots; professional snacker; "
        "brunch enthusiast; coffee + food guide",
        "food lovers in the city; young professionals who eat out; restaurant goers",
        "restaurant group; food delivery app; coffee roaster; hospitality brand",
        "a new restaurant opening; a food delivery app; a coffee subscription; "
        "a new brunch menu; a specialty coffee roastery",
    ),
    NicheSpec(
        "skincare",
        "beauty",
        2.3,
        0.85,
        -0.2,
        "beauty",
        "🧴;✨;💧;🌸;🧖‍♀️;🫧",
        "skincare routine; acne journey; spf every day; sensitive skin; double cleansing; "
        "retinol for beginners; hyaluronic acid; skin barrier repair; night routine; "
        "glass skin; hyperpigmentation; ingredients explained; dermatologist tips; k-beauty",
        "vitamin c serum; sunscreen; retinol; moisturiser; cleansing balm; toner; "
        "face mask; eye cream; niacinamide serum; lip balm; exfoliant",
        "tested a new serum for four weeks; swapped my cleanser; started retinol; "
        "did a skin barrier reset; patch tested a new moisturiser; tried double cleansing; "
        "reapplied spf every two hours",
        "glowing; skin is thriving; healthy skin first; less is more; "
        "the glow is real; skin barrier happy",
        "skincare;skincareroutine;skincaretips;glowingskin;spf;acne;skincarejunkie;"
        "selfcare;kbeauty;cleanbeauty",
        "skincare obsessed; esthetician; honest skincare reviews; acne-prone skin diaries; "
        "ingredients nerd",
        "women 18-34 into skincare; people with sensitive skin; beauty enthusiasts",
        "skincare brand; clean beauty brand; dermatology brand",
        "a vitamin c serum; a mineral sunscreen; a gentle cleanser; a barrier repair cream; "
        "a retinol serum; a fragrance free moisturiser",
    ),
    NicheSpec(
        "makeup",
        "beauty",
        2.1,
        0.85,
        -0.4,
        "beauty",
        "💄;💋;✨;💅;🎨;👁️",
        "everyday makeup; grwm; glam look; foundation review; drugstore dupes; "
        "eyeliner tutorial; bridal makeup; no-makeup makeup; lip combo; contour tips; "
        "makeup for hooded eyes; festival glitter; blush trend",
        "foundation; mascara; eyeshadow palette; lipstick; concealer; setting spray; "
        "bronzer; makeup brushes; liquid liner; lip gloss; highlighter",
        "did a full glam for the wedding; tested a drugstore dupe; tried the blush trend; "
        "swatched the new palette; did a get ready with me; learned a new liner trick",
        "face beat; feeling glam; obsessed with this lip; slay; makeup is art; cute look",
        "makeup;makeuptutorial;grwm;beauty;makeupartist;mua;glam;eyeshadow;lipstick;makeuplover",
        "makeup artist; beauty & glam; grwm every day; drugstore beauty queen; bridal mua",
        "young women into beauty; makeup lovers; gen z beauty shoppers",
        "cosmetics brand; beauty brand; makeup line",
        "a new foundation shade range; a mascara launch; a lip gloss collection; "
        "an eyeshadow palette; a setting spray",
    ),
    NicheSpec(
        "home_decor",
        "interior",
        2.5,
        0.80,
        0.8,
        "home",
        "🏡;🕯️;🛋️;🪴;🖼️;✨",
        "living room makeover; small space ideas; cosy home; rental friendly decor; "
        "styling shelves; neutral interior; bedroom refresh; gallery wall; "
        "scandi style; budget home updates; home tour; seasonal decor; kitchen styling",
        "sofa; rug; throw pillows; candles; floor lamp; bookshelf; mirror; bedding; "
        "vase; wall art; coffee table; curtains",
        "painted the hallway; rearranged the living room; hung a gallery wall; "
        "styled the shelves again; swapped out the cushions; did a bedroom refresh; "
        "found a vintage mirror; finished the home office",
        "home sweet home; cosy vibes; finally feels like us; small changes big difference; "
        "little corner of happiness",
        "homedecor;interiordesign;interior;homestyling;cosyhome;myhome;homeinspo;"
        "livingroomdecor;rentaldecor;scandinavianhome",
        "interiors & small space living; home decor on a budget; our renovation journey; "
        "cosy home lover; interior stylist",
        "homeowners and renters who love decorating; women 25-44 into interiors; first time buyers",
        "furniture brand; home decor store; bedding brand; lighting brand",
        "a modular sofa; a bedding collection; a candle range; a rug collection; a floor lamp",
    ),
    NicheSpec(
        "gardening",
        "interior",
        1.2,
        0.60,
        1.4,
        "home",
        "🌿;🪴;🌱;🌻;🍅;🌸",
        "houseplant care; balcony garden; growing tomatoes; propagation; raised beds; "
        "composting; garden makeover; plant shelfie; seed starting; pruning roses; "
        "allotment diaries; succulents; grow your own veg",
        "monstera; pothos; seed trays; compost bin; garden gloves; watering can; "
        "grow light; terracotta pots; pruning shears; potting soil",
        "repotted all my plants; planted out the seedlings; harvested the first tomatoes; "
        "built a raised bed; propagated my pothos; turned the compost; "
        "weeded the allotment",
        "plant parent life; growing happiness; green thumb vibes; new leaf alert; garden therapy",
        "gardening;houseplants;plantsofinstagram;urbanjungle;growyourown;gardenlife;"
        "plantparent;allotment;garden",
        "plant parent; allotment life; growing food in a small garden; houseplant nerd",
        "gardeners and plant parents; homeowners with gardens; grow-your-own fans",
        "garden centre; plant delivery service; gardening tools brand",
        "a houseplant subscription; a smart grow light; a raised bed kit; an organic fertiliser",
    ),
    NicheSpec(
        "fitness",
        "fitness",
        1.5,
        0.50,
        -0.3,
        "fitness",
        "💪;🏋️;🔥;🥇;⚡;🏃",
        "leg day; home workout; strength training; progressive overload; glute workout; "
        "gym routine; fat loss tips; protein intake; full body workout; mobility; "
        "hiit session; push pull legs; deadlift form; gym motivation; body recomposition",
        "protein powder; dumbbells; resistance bands; gym shoes; lifting belt; pre-workout; "
        "foam roller; kettlebell; fitness tracker; shaker bottle; gym leggings",
        "hit a new deadlift pr; finished a 30 day challenge; tried a new split; "
        "did a home workout with bands; trained legs twice this week; "
        "tracked my macros; stretched for 20 minutes",
        "no excuses; stronger every day; consistency is key; sweat it out; "
        "beast mode; progress not perfection",
        "fitness;gym;workout;fitfam;fitnessmotivation;strengthtraining;gymlife;homeworkout;"
        "legday;fitspo;personaltrainer",
        "personal trainer; online coach; strength & conditioning; gym girl; "
        "helping you get stronger",
        "gym goers; people starting their fitness journey; young adults into training",
        "sportswear brand; supplement brand; gym chain; fitness app",
        "a protein powder; a gym membership; a fitness app; a pair of training shoes; "
        "a set of adjustable dumbbells; a pre-workout",
    ),
    NicheSpec(
        "running",
        "fitness",
        0.9,
        0.45,
        0.3,
        "fitness",
        "🏃;👟;🏅;⏱️;🔥;🌄",
        "marathon training; long run sunday; tempo run; 5k pr; race day; running shoes review; "
        "half marathon plan; trail running; easy miles; interval session; running injuries; "
        "run club; couch to 5k; fuelling for long runs",
        "running shoes; gps watch; running vest; energy gels; compression socks; "
        "carbon plated shoes; running shorts; headlamp",
        "ran 30 km this morning; smashed my 5k pr; joined a new run club; "
        "finished my first marathon; did intervals on the track; "
        "ran in the rain; tested new carbon shoes",
        "runner's high; legs are toast; every mile counts; one more km; pace is just a number",
        "running;runner;marathon;runnersofinstagram;halfmarathon;run;trailrunning;"
        "runningcommunity;5k;instarunners",
        "marathoner; chasing a sub 3; run coach; trail runner; miles & smiles",
        "runners training for a race; new runners; endurance athletes",
        "running shoe brand; sports nutrition brand; race organiser",
        "a carbon plated running shoe; an energy gel; a gps running watch; "
        "a half marathon event; a running vest",
    ),
    NicheSpec(
        "yoga",
        "fitness",
        0.7,
        0.80,
        0.4,
        "fitness",
        "🧘;🕉️;🌿;☀️;🌙;🤍",
        "morning yoga flow; meditation practice; breathwork; mindfulness; yin yoga; "
        "yoga for beginners; self care sunday; pilates core; hip openers; journaling",
        "yoga mat; yoga blocks; meditation cushion; essential oils; journal; "
        "pilates reformer; herbal tea",
        "did a 30 minute flow; meditated before work; went on a yoga retreat; "
        "practiced breathwork; tried reformer pilates",
        "breathe in, breathe out; calm mind; find your balance; namaste; slow down",
        "yoga;meditation;mindfulness;yogaeveryday;selfcare;wellness;pilates;breathwork;"
        "yogainspiration",
        "yoga teacher; meditation & mindful living; wellness coach; pilates instructor",
        "wellness-minded women; people into mindfulness; yoga students",
        "wellness brand; yoga apparel brand; meditation app",
        "a meditation app; a yoga mat; a wellness retreat; a herbal tea range",
    ),
    NicheSpec(
        "cycling",
        "other",
        1.5,
        0.25,
        0.7,
        "fitness",
        "🚴;🚲;⛰️;🏁;☕;🌄",
        "gravel ride; bike commute; century ride; cycling climbs; bike maintenance; "
        "bikepacking; indoor training; cafe ride; road bike setup; race season",
        "road bike; gravel bike; bike helmet; cycling kit; bike computer; smart trainer; "
        "e-bike; bike lights",
        "rode 120 km today; climbed the col; commuted by bike all week; "
        "fixed a puncture on the road; did a zwift race",
        "all about the bike; legs on fire; coffee and climbs; earn the descent",
        "cycling;bike;roadcycling;gravel;bikelife;cyclinglife;bikepacking;mtb;ebike",
        "cyclist; gravel rider; bike commuter; cycling coach",
        "cyclists and commuters; men 30-50 into road cycling; bikepackers",
        "bike brand; cycling apparel brand; e-bike company",
        "a gravel bike; an e-bike; a cycling jersey; a smart trainer; a bike light",
    ),
    NicheSpec(
        "pets",
        "pet",
        1.7,
        0.70,
        0.5,
        "pets",
        "🐶;🐱;🐾;🦴;❤️;🐕",
        "puppy training; dog walks; cat life; pet care tips; adopting a rescue; "
        "dog friendly cafes; grooming day; pet food; vet visit; zoomies",
        "dog food; cat tree; dog harness; pet bed; chew toys; cat litter; grooming brush; treats",
        "took the dog to the beach; adopted a rescue cat; taught a new trick; "
        "went to the groomer; tried a new food",
        "best boy; furry family; good boy energy; cat tax; paws up",
        "dogsofinstagram;catsofinstagram;petstagram;dog;puppy;rescuedog;catlife;doglover;pets",
        "dog mom; cat dad; rescue pup adventures; pet care tips",
        "pet owners; dog parents; cat lovers",
        "pet food brand; pet accessories brand; pet insurance",
        "a premium dog food; a pet insurance plan; a cat tree; a dog harness",
    ),
    NicheSpec(
        "tech",
        "other",
        3.2,
        0.25,
        0.0,
        "tech",
        "💻;📱;🎧;⚙️;🔋;🖥️",
        "desk setup; smartphone review; productivity apps; new laptop; smart home; "
        "gadgets under 50; tech news; mechanical keyboard; ai tools; wireless earbuds",
        "laptop; smartphone; wireless earbuds; mechanical keyboard; monitor; smartwatch; "
        "webcam; power bank; tablet",
        "unboxed the new phone; upgraded my desk setup; tested three earbuds; "
        "built a smart home routine; benchmarked the laptop",
        "tech is life; worth the upgrade; game changer; clean setup",
        "tech;gadgets;desksetup;techreview;apple;android;smarthome;productivity;technology",
        "tech reviewer; gadgets & desk setups; software engineer; productivity nerd",
        "tech enthusiasts; young professionals; early adopters",
        "consumer electronics brand; software company; app",
        "wireless earbuds; a productivity app; a laptop stand; a smart home hub",
    ),
    NicheSpec(
        "gaming",
        "other",
        3.3,
        0.25,
        -1.0,
        "tech",
        "🎮;🕹️;👾;🔥;🏆;💥",
        "new game release; gaming setup; speedrun; ranked grind; indie games; "
        "retro gaming; stream highlights; boss fight; controller review",
        "gaming headset; controller; gaming chair; console; gaming mouse; "
        "capture card; energy drink",
        "hit diamond rank; finished the campaign; streamed for 6 hours; beat the final boss",
        "gg; let's go; clutch; one more game; no sleep",
        "gaming;gamer;twitch;ps5;xbox;nintendoswitch;pcgaming;streamer;esports",
        "streamer; gamer; variety streams; esports fan",
        "gamers; gen z; young men 16-24",
        "gaming peripheral brand; game studio; energy drink",
        "a gaming headset; a new game launch; a gaming chair; a controller",
    ),
    NicheSpec(
        "personal_finance",
        "other",
        2.4,
        0.40,
        0.5,
        "tech",
        "💸;📈;💰;🏦;📊;🧾",
        "budgeting tips; saving money; investing for beginners; index funds; "
        "side hustles; debt free journey; emergency fund; credit score",
        "budgeting app; savings account; index fund; credit card; robo advisor",
        "paid off my credit card; rebalanced my portfolio; tracked every expense; "
        "set up a sinking fund",
        "money talks; financial freedom; compound interest; stay the course",
        "personalfinance;budgeting;investing;money;savingmoney;financialfreedom;debtfree;fire",
        "finance coach; money tips for millennials; debt free mama; investing made simple",
        "young professionals; people saving for a home; beginner investors",
        "fintech app; bank; investing platform",
        "a budgeting app; a high yield savings account; an investing app",
    ),
    NicheSpec(
        "sustainability",
        "other",
        2.2,
        0.70,
        0.2,
        "home",
        "♻️;🌍;🌱;💚;🌿;🌊",
        "zero waste; low waste swaps; sustainable living; plastic free july; "
        "eco friendly home; composting; climate action; refill shops",
        "reusable bottle; beeswax wraps; bamboo toothbrush; refill station; tote bag; solar panels",
        "went plastic free for a month; shopped at the refill store; "
        "made my own cleaning spray; joined a beach clean",
        "small steps matter; there is no planet b; reduce reuse recycle",
        "zerowaste;sustainability;ecofriendly;sustainableliving;plasticfree;gogreen;"
        "climateaction;lowwaste",
        "low waste living; climate optimist; sustainable swaps; eco educator",
        "eco-conscious consumers; climate-aware millennials; people going zero waste",
        "sustainable brand; refill company; eco cleaning brand",
        "a refillable cleaning range; a reusable bottle; a plastic free toiletries line",
    ),
    NicheSpec(
        "books",
        "other",
        2.2,
        0.75,
        0.0,
        "culture",
        "📚;📖;☕;🕯️;✨;🖋️",
        "book recommendations; monthly wrap up; tbr pile; fantasy books; book club; "
        "romance reads; annotating books; reading goals",
        "e-reader; hardback; audiobook; bookmarks; book light",
        "read five books this month; joined a new book club; annotated my favourite novel",
        "just one more chapter; book hangover; bookish heart",
        "bookstagram;booktok;reading;books;bookworm;bookrecommendations;tbr;booklover",
        "book lover; reviewer; fantasy & romance reads",
        "readers; book clubs; women 18-34 who read",
        "publisher; audiobook app; bookshop",
        "a new fantasy novel; an audiobook app; an e-reader",
    ),
    NicheSpec(
        "diy",
        "other",
        2.2,
        0.60,
        0.6,
        "home",
        "🔨;🛠️;🎨;🧶;✂️;🪚",
        "diy projects; upcycling furniture; crochet patterns; home renovation; "
        "woodworking; painting tips; craft ideas",
        "power drill; paint; sander; yarn; glue gun; workbench",
        "built a bookshelf; upcycled a dresser; finished a crochet blanket; tiled the bathroom",
        "made it myself; proud of this one; before and after",
        "diy;crafts;woodworking;upcycling;crochet;diyhome;handmade;renovation;makersgonnamake",
        "diy & renovation; maker; crochet addict; upcycler",
        "makers and crafters; homeowners doing their own renovations",
        "tool brand; craft supplies store; paint brand",
        "a cordless drill; a paint range; a crochet kit",
    ),
)

# more fragments for the niches above (merged by ``phrases.bank``); kept apart so each
# NicheSpec stays readable
EXTRA: dict[str, dict[str, str]] = {
    "jewelry": {
        "topics": "gold vs silver debate; jewelry for sensitive ears; anniversary gift ideas; "
        "how to layer chains without tangles; vintage rings",
        "activities": "wore pearls with a hoodie; added a charm to my bracelet; re-plated an old ring",
        "bio": "jewelry designer; handmade in my studio",
    },
    "vintage": {
        "topics": "how to price vintage; vintage kilo sale; 90s sportswear finds; grandma's wardrobe",
        "products": "vintage handbag; old film camera",
        "activities": "styled a thrifted blazer three ways; cleaned a vintage bag; hemmed a maxi skirt",
        "feelings": "cheaper and cooler; nothing new this year",
        "bio": "1 year no new clothes",
    },
    "baby": {
        "topics": "sleep regressions; baby sensory play; maternity style; c-section recovery; "
        "baby food pouches; first foods; babywearing",
        "products": "sleep sack; high chair; play mat",
        "activities": "made the first purees; took baby swimming for the first time; "
        "tried babywearing on a hike; washed all the tiny clothes; "
        "got four hours of sleep in a row",
        "feelings": "so much love; we made a human",
        "audience": "moms in their first trimester; new dads",
        "bio": "doula in training",
    },
    "home_cooking": {
        "topics": "high protein dinners; freezer meals; air fryer recipes; fresh pasta; curry night",
        "products": "wok; spice grinder",
        "activities": "batch cooked soups for the freezer; made dumplings with my mum; "
        "cooked a curry from scratch",
        "feelings": "better than takeaway",
        "bio": "cooking my way through grandma's recipes",
    },
    "baking": {
        "topics": "babka; pie crust; brownies; focaccia art; birthday cakes; scones; "
        "cinnamon rolls; choux pastry",
        "products": "bundt tin; dutch oven for bread; bench scraper; cocoa powder",
        "activities": "laminated croissant dough for two days; baked a wedding cake for a friend; "
        "made focaccia art; shaped a batard; baked cinnamon rolls for breakfast; "
        "made pie crust from scratch; frosted cupcakes with the kids",
        "feelings": "the crumb though; smells like a bakery in here",
        "bio": "cake maker; bread nerd & flour dusted",
        "brief_products": "a sourdough starter kit; a cake decorating class; a bread flour",
        "audience": "people who bake bread at home",
    },
    "vegan": {
        "topics": "vegan comfort food; vegan travel; plant-based protein shakes; "
        "vegan grocery haul; seitan; dairy free baking",
        "products": "seitan; vegan butter; soy yoghurt",
        "activities": "made seitan from scratch; did a vegan grocery haul; "
        "veganised my grandma's lasagne; blended a protein smoothie; "
        "tried every vegan ice cream in the shop; hosted a plant-based dinner; "
        "made a chickpea salad for lunch",
        "feelings": "animals are friends; tastes just like the real thing; no one missed the meat",
        "bio": "plant-based nutritionist; vegan mama of two",
        "audience": "plant-based athletes",
    },
    "foodie": {
        "topics": "coffee shop review; bakery crawl; best pastries in town; supper club; "
        "bottomless brunch; food hall visit; street food market; michelin star on a budget",
        "products": "smash burger; pastry box; bao buns",
        "activities": "tried every flavour at the gelato shop; found a secret supper club; "
        "did a coffee crawl; booked a chef's table; "
        "ate at a food truck park; ranked the best burgers; visited a new food hall",
        "feelings": "dreaming about this dish; best bite of the year",
        "bio": "always hungry; food critic wannabe",
        "audience": "coffee lovers",
    },
    "skincare": {
        "topics": "skin cycling; spf reapplication; rosacea; body care; skincare for men; "
        "morning routine",
        "products": "micellar water; body lotion; spot patches",
        "activities": "did a skincare shelfie; cleared my breakout with patches; "
        "built a minimalist routine; visited a dermatologist; "
        "tried skin cycling for a month; emptied a whole serum bottle; "
        "did my evening routine live",
        "feelings": "skin feels like butter; no filter needed",
        "bio": "chemist talking skincare; rosacea warrior",
        "audience": "men starting a skincare routine",
    },
    "makeup": {
        "topics": "wedding guest makeup; makeup for beginners; clean girl look; smokey eye; "
        "graphic liner; brow routine; makeup collection declutter",
        "products": "brow gel; primer; lash curler",
        "activities": "tried graphic liner for the first time; did a 5 minute face; "
        "decluttered my makeup drawer; did makeup for a bride; "
        "tested long wear foundation for 12 hours; recreated a red carpet look; "
        "did a full face using only drugstore; did a smokey eye tutorial",
        "feelings": "this blush though",
        "bio": "self-taught mua; makeup for mature skin",
    },
    "home_decor": {
        "topics": "entryway makeover; bathroom refresh; lighting ideas; cosy autumn decor; "
        "kids room ideas; dining room styling; japandi interiors",
        "products": "side table; pendant light; linen bedding",
        "activities": "installed new lighting; styled the coffee table; did a thrift store decor haul; "
        "put up wallpaper; hung new curtains; created a reading nook",
        "feelings": "obsessed with this corner; home is where the heart is; soft and calm",
        "bio": "renter making it home; lover of old houses",
        "audience": "renters who want to personalise their space",
    },
    "gardening": {
        "topics": "no dig gardening; cut flower garden; companion planting; "
        "indoor herb garden; garden pests; wildflower meadow; overwintering dahlias",
        "products": "dahlia tubers; hose; seeds; greenhouse",
        "activities": "sowed seeds in the greenhouse; planted a wildflower strip; "
        "picked the first sweet peas; mulched the beds; "
        "divided the hostas; made leaf mould; built a bean teepee",
        "feelings": "dirt under my nails; patience pays; bloom where you are planted",
        "tags": "cutflowers",
        "bio": "cut flower grower; balcony gardener in the city; grow your own advocate",
        "audience": "beginner gardeners",
        "brief_products": "a seed subscription; a compost bin",
    },
    "fitness": {
        "topics": "gym bag essentials; workout split for beginners; calisthenics; "
        "post workout meals; cardio vs weights; rest day",
        "products": "gym bag; pull-up bar; creatine",
        "activities": "did 100 pull-ups; finished a spin class; coached a client to a pr; "
        "did a mobility flow; hit 10k steps every day; filmed a full workout; "
        "started a new 12 week programme",
        "feelings": "earned it",
        "bio": "former athlete; strength coach for women",
        "audience": "women who lift",
    },
    "running": {
        "topics": "race recap; running form; recovery days; fartlek; track tuesday; "
        "running in the heat; ultra marathon; running on holiday",
        "products": "running belt; foam roller; hydration vest; running socks; sports sunglasses; "
        "recovery sandals",
        "activities": "ran my first ultra; paced a friend to a pr; did hill repeats; "
        "ran a parkrun; did a 20 miler; foam rolled for ages; "
        "ran a virtual race",
        "feelings": "chasing pbs; miles make me happy; slow miles count too",
        "tags": "parkrun;ultrarunning",
        "bio": "parkrun regular; ultra runner; mum who runs",
        "audience": "parkrunners",
        "brief_products": "a recovery sandal",
    },
    "yoga": {
        "topics": "yoga retreat; vinyasa flow; morning rituals; stress relief; "
        "sound bath; gratitude practice; moon rituals; somatic stretching; "
        "yoga for runners; slow living",
        "products": "yoga strap; incense; singing bowl; yoga leggings; bolster; "
        "gratitude journal; matcha",
        "activities": "held a crow pose for 10 seconds; taught a sunrise class; "
        "went to a sound bath; journaled for 10 minutes; "
        "did a digital detox weekend; practiced on the beach; "
        "went on a silent retreat; made a matcha ritual",
        "feelings": "peace within; grounded; less doing more being; soft mornings",
        "tags": "yogi;vinyasa",
        "bio": "200hr ryt; slow living & breathwork; meditation guide",
        "audience": "busy people looking for calm",
        "brief_products": "a pilates studio opening; a yoga legging",
    },
    "cycling": {
        "topics": "bike fit; cycling nutrition; sportive; cycling holidays; "
        "tubeless setup; winter riding; group ride etiquette; mountain biking; "
        "bike storage; cycling for beginners",
        "products": "cleats; saddle; bike pump; tubeless tyres; cycling shoes; "
        "bib shorts; bike bag",
        "activities": "did a sportive; set up tubeless tyres; rode to the coast; "
        "went mountain biking in the forest; got a proper bike fit; "
        "rode a sunrise loop; went bikepacking for three days; "
        "cleaned and lubed the chain",
        "feelings": "pedal on; two wheels good; happy legs; that descent though",
        "tags": "cyclist;gravelbike",
        "bio": "ex-racer, now coffee rider; bikepacking the world; mtb & gravel",
        "audience": "urban bike commuters",
        "brief_products": "a cycling holiday; a bike insurance plan",
    },
    "pets": {
        "topics": "dog training tips; cat enrichment; senior dog care; pet friendly travel; "
        "raw feeding; puppy socialisation; dog birthday; multi-cat household; "
        "adopt don't shop; grooming at home; pet first aid",
        "products": "dog bed; cat fountain; lick mat; dog raincoat; pet camera; "
        "poop bags; puzzle feeder",
        "activities": "went on a long dog walk; trained recall at the park; "
        "built a catio; celebrated the pup's birthday; "
        "brushed the cat for an hour; took the dog camping; "
        "fostered a kitten; visited the vet for a check-up; "
        "did agility class",
        "feelings": "unconditional love; whiskers and wonder; who's a good boy; my shadow",
        "tags": "dogmom;adoptdontshop",
        "bio": "two rescues & a lot of hair; cat lady and proud; dog trainer; foster mom",
        "audience": "new puppy owners; people with senior pets",
        "brief_products": "a pet camera; a puzzle feeder; a grain free cat food",
    },
    "tech": {
        "topics": "budget phone comparison; laptop for students; home office upgrade; "
        "cable management; wearable tech; camera gear; coding setup; "
        "best apps this month; battery life test; privacy settings",
        "products": "usb-c hub; ring light; standing desk; router; "
        "noise cancelling headphones; e-reader",
        "activities": "tested the battery for a week; cleaned up my cables; "
        "switched from android to iphone; set up a home server; "
        "reviewed the new smartwatch; built my first pc; "
        "automated my lights; compared three laptops; "
        "tried every ai tool so you don't have to",
        "feelings": "specs don't lie; clean desk clear mind; shiny new toy; tech done right",
        "tags": "techtok;setup",
        "bio": "unboxing everything; honest reviews, no hype; dev by day, reviewer by night",
        "audience": "students buying a laptop; remote workers",
        "brief_products": "a standing desk; a smartwatch; a router; a phone case",
    },
    "gaming": {
        "topics": "gaming news; co-op games; cozy games; game reviews; "
        "patch notes; tier list; fps settings; handheld gaming; "
        "nostalgia games; first impressions; tournament recap",
        "products": "mechanical keyboard; gaming monitor; handheld console; "
        "mic; stream deck; rgb lights",
        "activities": "ranked every game of the year; ran a charity stream; "
        "built a new streaming setup; played co-op with my brother; "
        "found a hidden easter egg; got my first 100 subs; "
        "tested the new handheld; went to a lan party; "
        "speedran the first level",
        "feelings": "just one more round; that was insane; so hyped; rage quit incoming",
        "tags": "gamingsetup;cozygames",
        "bio": "cozy gamer; fps main; retro collector; live every night at 8",
        "audience": "pc gamers; cozy game fans",
        "brief_products": "a mechanical keyboard; a gaming monitor; a mobile game",
    },
    "personal_finance": {
        "topics": "no spend month; retirement planning; paying off student loans; "
        "money mistakes; net worth update; frugal living; salary negotiation; "
        "first home deposit; investing myths; cash stuffing; tax tips",
        "products": "pension; stocks and shares isa; cashback card; budget planner; "
        "insurance; mortgage",
        "activities": "hit my savings goal; opened a pension; did a no spend month; "
        "negotiated a raise; cancelled five subscriptions; "
        "made a budget spreadsheet; bought my first etf; "
        "cleared my student loan; meal planned to save money",
        "feelings": "every dollar has a job; future me says thanks; slow and steady wins; "
        "money is freedom",
        "tags": "moneytips;frugalliving",
        "bio": "debt free at 30; budgeting for real life; cfa & money nerd; frugal family",
        "audience": "millennials with student debt; first-time investors",
        "brief_products": "a credit card with cashback; a pension app; an insurance comparison site",
    },
    "sustainability": {
        "topics": "ethical brands; secondhand shopping; eco cleaning; sustainable travel; "
        "reducing food waste; repair cafe; greenwashing; energy saving tips; "
        "eco friendly gifts; conscious consumerism; sustainable periods; "
        "plastic free bathroom",
        "products": "shampoo bar; menstrual cup; compost caddy; reusable coffee cup; "
        "laundry strips; solar charger; second hand furniture",
        "activities": "cut our food waste in half; switched to a green energy supplier; "
        "repaired a broken lamp; went to a repair cafe; "
        "did a waste audit; made beeswax wraps; "
        "took the train instead of flying; planted trees with a local group",
        "feelings": "progress over perfection; less but better; do what you can; "
        "future generations thank you; earth first",
        "tags": "ecoliving;sustainablefashion;reuse;climate",
        "bio": "making sustainability easy; climate scientist; zero waste mum; "
        "slow living, low waste",
        "audience": "families trying to cut waste",
        "brief_products": "a shampoo bar; a green energy tariff; a compost caddy",
    },
    "books": {
        "topics": "book haul; reading slump; dark academia; thriller recommendations; "
        "classics; poetry; reading nook; library finds; author interview; "
        "books like this; book to movie; sci-fi reads; booktok made me read it",
        "products": "kindle; tote bag; book sleeve; reading lamp; library card; "
        "special edition; notebook; fountain pen",
        "activities": "stayed up until 3am reading; ranked my books of the year; "
        "visited an old bookshop; went to a book signing; "
        "read on the train all week; built a new bookshelf; "
        "did a readathon; reorganised my shelves by colour; "
        "finished a 900 page fantasy",
        "feelings": "books are my therapy; so many books, so little time; "
        "emotionally destroyed by this ending; five stars",
        "tags": "bookish;reader;currentlyreading",
        "bio": "reading 100 books a year; thriller addict; librarian; romance and coffee",
        "audience": "booktok readers; people who read on their commute",
        "brief_products": "a literary fiction debut; a book subscription box; a reading light",
    },
    "diy": {
        "topics": "diy wall panelling; crafting with kids; sewing projects; "
        "furniture flip; tool basics; knitting; resin art; candle making; "
        "garden diy; kitchen renovation on a budget; pottery",
        "products": "jigsaw; sewing machine; knitting needles; resin; mitre saw; "
        "wood stain; masking tape; cricut",
        "activities": "sewed my own dress; made candles for gifts; "
        "built raised beds from pallets; painted the kitchen cabinets; "
        "restored an old chair; knitted a jumper; "
        "learned to use a router; threw my first pot",
        "feelings": "handmade with love; sawdust is glitter; "
        "if I can do it you can too; weekend well spent",
        "tags": "diyproject;homerenovation;sewing",
        "bio": "weekend woodworker; sewing my wardrobe; renovating a 1930s house; craft teacher",
        "audience": "crafters and knitters; first time renovators",
        "brief_products": "a sewing machine; a cricut machine; a wood stain range",
    },
    "menswear": {
        "brief_products": "a chino range",
        "audience": "dads who want an upgrade",
        "activities": "tried a double breasted suit",
    },
    "hiking": {
        "topics": "best day hikes; camping with dogs",
        "activities": "slept under the stars; spotted ibex on the ridge",
    },
    "parenting": {
        "topics": "teen years; family road trip; kids and money",
        "activities": "taught my son to ride a bike; ran a lemonade stand",
    },
}
